import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Where Debian puts PostgreSQL's server programs (the newest version installed), or undefined. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL server for the tests: a fresh cluster in a temporary directory, on a loopback
 * port, trust authentication (it accepts only 127.0.0.1). As root it runs as the `postgres` user
 * (the server refuses root). Throws when PostgreSQL is not installed (.ci/run installs it).
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-pg-'));
  // The server refuses to run as root: as root, initdb and postgres run as the postgres user.
  const root = process.getuid?.() === 0;
  const user = root
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
        gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
      }
    : {};
  if (root) execFileSync('chown', ['-R', 'postgres', dir]);
  const data = path.join(dir, 'data');
  execFileSync(
    path.join(bin, 'initdb'),
    ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'],
    { stdio: 'ignore', ...user },
  );
  const port = await freePort();
  const server: ChildProcess = spawn(
    path.join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
    { stdio: 'ignore', ...user },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const { Client } = await import('pg');
  for (let i = 0; ; i++) {
    try {
      const c = new Client({ connectionString: url });
      await c.connect();
      await c.end();
      break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        server.once('exit', () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        server.kill('SIGINT');
      }),
  };
}

/** A database of its own on the server, for one test file. */
export async function freshDatabase(server: PostgresServer, name: string): Promise<string> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: server.url });
  await c.connect();
  await c.query(`drop database if exists ${name}`);
  await c.query(`create database ${name}`);
  await c.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}
