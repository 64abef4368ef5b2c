import fs from 'node:fs';
import path from 'node:path';
import type { ValueSet } from 'fhir/r4';
import { ContentError } from '../platform/errors';
import { readJsonFile } from '../platform/json-file';
import { CodeService } from './cql-engine';

export interface ValueSetEntry {
  url: string;
  version: string;
  title: string;
  codes: { system: string; code: string; display?: string }[];
}

/** Reads every FHIR ValueSet (with expansion) in a folder. Broken files stop startup. */
export function loadValueSets(dir: string): ValueSetEntry[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return files.map((f) => {
    const file = path.join(dir, f);
    const vs = readJsonFile(file, (at, message) => new ContentError(at, message)) as ValueSet;
    if (vs.resourceType !== 'ValueSet' || !vs.url)
      throw new ContentError(file, 'not a ValueSet with a url');
    if (!vs.expansion) throw new ContentError(file, 'has no expansion; run "npm run cql"');
    const codes = (vs.expansion.contains ?? []).map((c) => {
      if (!c.system || !c.code)
        throw new ContentError(file, 'an expansion entry lacks system or code');
      return { system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) };
    });
    return { url: vs.url, version: vs.version ?? '', title: vs.title ?? vs.url, codes };
  });
}

/** The cql-execution code service over the loaded value sets (built once at startup). */
export function buildCodeService(valueSets: ValueSetEntry[]): CodeService {
  const dictionary: Record<string, Record<string, { system: string; code: string }[]>> = {};
  for (const vs of valueSets) {
    dictionary[vs.url] = { [vs.version]: vs.codes.map(({ system, code }) => ({ system, code })) };
  }
  return new CodeService(dictionary);
}
