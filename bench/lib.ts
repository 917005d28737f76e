import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The machine a figure was measured on, printed with every result. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Replaces this benchmark's section of bench/RESULTS.md (between its markers) with `body`. */
export function record(name: string, body: string): void {
  const file = path.join(__dirname, 'RESULTS.md');
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const section = `${begin}\n${body.trim()}\n\n_${new Date().toISOString().slice(0, 10)}, ${machine()}_\n${end}`;
  const start = text.indexOf(begin);
  const next =
    start >= 0
      ? `${text.slice(0, start)}${section}${text.slice(text.indexOf(end) + end.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  console.log(`\n${body.trim()}\n(${machine()}; recorded in bench/RESULTS.md)`);
}
