/**
 * `npm run docs:config`: rewrites the configuration table of README.md (between its markers) from the
 * convict schema, so the README and the code cannot disagree (a unit test checks it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configTable } from './load';

export const BEGIN = '<!-- config-table:begin -->';
export const END = '<!-- config-table:end -->';

export function withTable(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${BEGIN} … ${END}`);
  return `${readme.slice(0, start + BEGIN.length)}\n${configTable()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const file = path.resolve(__dirname, '../../README.md');
  writeFileSync(file, withTable(readFileSync(file, 'utf8')));
}
