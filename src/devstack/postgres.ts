/**
 * A throwaway PostgreSQL server for the Kafka Connect tests: Debian's package (`apt-get install
 * postgresql`), a new cluster in a temporary folder, on a free loopback port, trust authentication.
 * PostgreSQL refuses to run as root, so under root it runs as the package's `postgres` user.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '../sleep';
import { StackError } from './errors';
import { freePort } from './local';

const run = promisify(execFile);

/** A running server of {@link startPostgres}. */
export interface PostgresHandle {
  host: string;
  port: number;
  user: string;
  database: string;
  /** jdbc:postgresql://host:port/database */
  jdbcUrl: string;
  /** Runs one SQL statement with psql and returns its unaligned output (rows by line, `|` between
   * columns); throws StackError with psql's message when the statement fails. */
  query(sql: string): Promise<string>;
  /** Fast shutdown, then the cluster's folder is deleted. */
  stop(): Promise<void>;
}

/** The bin folder of the newest PostgreSQL server Debian's packages installed, or a StackError. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new StackError(
      'The Kafka Connect tests need a PostgreSQL server, and none was found under /usr/lib/postgresql. ' +
        'Install it (Debian: apt-get install postgresql).',
    );
  return path.join(root, versions[0]!, 'bin');
}

/** Under root: the uid and gid of the `postgres` user the package created; otherwise undefined. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new StackError('PostgreSQL does not run as root, and there is no `postgres` user to run it as.');
  }
}

/**
 * Creates a cluster in a new temporary folder and starts it on a free loopback port (durability off: a
 * test database), as a child of this process; polls until it answers a query. The database is
 * `postgres`, the user `postgres`, without password.
 */
export async function startPostgres(say: (line: string) => void = () => undefined): Promise<PostgresHandle> {
  const bin = postgresBin();
  const user = runAs();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'intercom-cdc-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'postgres.log');
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  try {
    await run(
      path.join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
      { ...ids, cwd: dir },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new StackError(`initdb failed: ${String((error as { stderr?: string }).stderr ?? error)}`, error);
  }
  const port = await freePort();
  const out = openSync(log, 'a');
  if (user) chownSync(log, user.uid, user.gid);
  const child: ChildProcess = spawn(
    path.join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { ...ids, cwd: dir, stdio: ['ignore', out, out] },
  );
  say(`postgres: starting PostgreSQL (${bin}) on 127.0.0.1:${port}`);
  const psql = existsSync(path.join(bin, 'psql')) ? path.join(bin, 'psql') : 'psql';
  const query = async (sql: string): Promise<string> => {
    try {
      const { stdout } = await run(
        psql,
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          'postgres',
          '-XAt',
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          sql,
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      return stdout.trimEnd();
    } catch (error) {
      throw new StackError(`psql: ${String((error as { stderr?: string }).stderr ?? error).trim()}`, error);
    }
  };
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGINT'); // fast shutdown
      const deadline = Date.now() + 15_000;
      while (!exited && Date.now() < deadline) await sleep(50);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await query('select 1');
      break;
    } catch (error) {
      if (exited || Date.now() > deadline) {
        const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
        await stop();
        throw new StackError(`PostgreSQL did not start on 127.0.0.1:${port}:\n${tail}`, error);
      }
      await sleep(100);
    }
  }
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    jdbcUrl: `jdbc:postgresql://127.0.0.1:${port}/postgres`,
    query,
    stop,
  };
}
