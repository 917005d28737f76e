import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../../src/main';

const ROOT = path.resolve(__dirname, '../../..');

/** Every command of the program, nested ones included. */
function commands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap((c) => commands(c))];
}

/** The full help text of a command, "after" examples included. */
function helpOf(cmd: Command): string {
  let out = '';
  cmd.configureOutput({ writeOut: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

describe('--help', () => {
  it('points only at config files that exist', () => {
    const referenced = commands(buildProgram())
      .flatMap((c) => [...helpOf(c).matchAll(/--config (\S+)/g)].map((m) => m[1]))
      .filter((p) => p !== '<file>');
    expect(referenced.length).toBeGreaterThan(0);
    expect(referenced.filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });
});
