/** Where the local stack lives: the repository root and the stack folder. */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root: the nearest ancestor of this file that holds package.json. */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Where the local stack keeps downloaded jars (kept between runs) and its running state. */
export function stackDir(): string {
  return process.env.INTERCOM_CDC_STACK_DIR ?? path.join(repoRoot(), '.cache', 'stack');
}
