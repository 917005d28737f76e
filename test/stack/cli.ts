import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** A CLI command running in a child process, as users run it. */
export interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The exit code once it exited (null: ended by a signal); undefined while it runs. */
  code(): number | null | undefined;
  stderr(): string;
  /** The last 20,000 characters of its stdout (the service's JSON logs). */
  stdout(): string;
}

/** Starts `intercom-cdc <args>` from source (tsx as a loader in one process, so signals reach it). */
export function startCli(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  let code: number | null | undefined;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (c) => {
      code = c;
      resolve(c);
    }),
  );
  return { child, exited, code: () => code, stderr: () => stderr, stdout: () => stdout };
}
