import path from 'node:path';
import { REPO_ROOT } from './paths';

/** A setting that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** How decision records keep the patient (PATIENT_REFERENCES, PATIENT_HASH_KEY). */
export interface PatientReferences {
  mode: 'hash' | 'reference' | 'none';
  hashKey?: string;
}

/** Where the service keeps its state (see Config). */
export interface StateSettings {
  stateStore: 'database' | 'files';
  adminToken?: string;
  databaseUrl?: string;
  stateDir: string;
  patientReferences: PatientReferences;
}

function patientReferences(env: NodeJS.ProcessEnv): PatientReferences {
  const hashKey = env.PATIENT_HASH_KEY?.trim() || undefined;
  const raw = (env.PATIENT_REFERENCES ?? (hashKey ? 'hash' : 'none')).trim().toLowerCase();
  if (raw !== 'hash' && raw !== 'reference' && raw !== 'none')
    throw new ConfigError('PATIENT_REFERENCES', `must be hash, reference or none, got "${raw}"`);
  if (raw === 'hash' && (!hashKey || hashKey.length < 16))
    throw new ConfigError(
      'PATIENT_HASH_KEY',
      'PATIENT_REFERENCES=hash needs a key of 16 characters or more',
    );
  return { mode: raw, ...(hashKey ? { hashKey } : {}) };
}

/** Where state is kept: STATE_STORE, DATABASE_URL, STATE_DIR; and how patients are recorded. */
export function stateStore(env: NodeJS.ProcessEnv): StateSettings {
  const mode = (env.STATE_STORE ?? 'database').trim().toLowerCase();
  if (mode !== 'database' && mode !== 'files')
    throw new ConfigError('STATE_STORE', `must be database or files, got "${mode}"`);
  const url = env.DATABASE_URL?.trim();
  if (url && !/^postgres(ql)?:\/\//.test(url))
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// (or postgresql://) URL');
  const stateDir = env.STATE_DIR?.trim() || path.join(REPO_ROOT, 'data', 'pglite');
  const adminToken = env.ADMIN_TOKEN?.trim();
  if (adminToken !== undefined && adminToken !== '' && adminToken.length < 24)
    throw new ConfigError('ADMIN_TOKEN', 'must be 24 characters or more');
  return {
    stateStore: mode,
    ...(adminToken ? { adminToken } : {}),
    ...(url ? { databaseUrl: url } : {}),
    stateDir: stateDir === 'memory' ? 'memory' : path.resolve(stateDir),
    patientReferences: patientReferences(env),
  };
}
