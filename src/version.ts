import { readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/** The version in package.json (beside src/ when run from source, two levels up from dist/src/ when built). */
export function packageVersion(): string {
  if (cached) return cached;
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(path.resolve(__dirname, candidate), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'intercom-cdc' && pkg.version) return (cached = pkg.version);
    } catch {
      // not there: the other layout
    }
  }
  return (cached = '0.0.0-unknown');
}
