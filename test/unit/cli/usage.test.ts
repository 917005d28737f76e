import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../../src/main';

const ROOT = path.resolve(__dirname, '../../..');

/** Parses argv in-process; returns the commander error it ends with (output swallowed). */
async function usageError(...argv: string[]): Promise<CommanderError | undefined> {
  const program = buildProgram();
  const quiet = (c: Command) => {
    c.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(quiet);
  };
  quiet(program);
  // No action may run: every case is refused while parsing.
  for (const c of program.commands) c.action(() => undefined);
  try {
    await program.parseAsync(['node', 'intercom-cdc', ...argv]);
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error;
    throw error;
  }
}

function helpOf(...names: string[]): string {
  let cmd: Command = buildProgram();
  for (const n of names) cmd = cmd.commands.find((c) => c.name() === n)!;
  return cmd.helpInformation();
}

describe('the command line', () => {
  it('refuses numeric flags that are not numbers', async () => {
    expect((await usageError('tail', '--stream', 'contacts', '--max', 'abc'))?.code).toBe(
      'commander.invalidArgument',
    );
    expect((await usageError('tail', '--stream', 'contacts', '--idle-ms', '-5'))?.code).toBe(
      'commander.invalidArgument',
    );
    expect((await usageError('run', '--http-port', '70000'))?.code).toBe('commander.invalidArgument');
    expect((await usageError('demo', '--contacts', 'many'))?.code).toBe('commander.invalidArgument');
  });

  it('refuses unknown options and missing required ones', async () => {
    expect((await usageError('run', '--bogus'))?.code).toBe('commander.unknownOption');
    expect((await usageError('backfill'))?.code).toBe('commander.missingMandatoryOptionValue');
  });

  it('shows each command only the flags it uses', () => {
    const tail = helpOf('tail');
    expect(tail).toMatch(/--kafka-brokers/);
    expect(tail).not.toMatch(/--intercom-base-url|--streams|--connector-name|--http-port/);
    const show = helpOf('state', 'show');
    expect(show).not.toMatch(/--schema-registry-url|--intercom-base-url/);
    expect(helpOf('run')).toMatch(/--http-port/);
    expect(helpOf('check')).toMatch(/--json/);
    expect(helpOf('auth', 'login')).not.toMatch(/--kafka-brokers/);
  });

  it('exits 2 on a usage error and prints the version with --version (as a process)', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    const bad = cli('tail', '--stream', 'contacts', '--max', 'abc');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--max <n>' argument 'abc' is invalid/);
    const version = cli('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
});
