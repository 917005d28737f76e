import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/** The sources of every COPY from the build context (not --from another stage), continuation lines joined. */
function copiedPaths(dockerfile: string): string[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'));
  return lines
    .map((l) => l.trim().split(/\s+/))
    .filter((words) => words[0]?.toUpperCase() === 'COPY' && !words.some((w) => w.startsWith('--from=')))
    .flatMap((words) => words.slice(1, -1).filter((w) => !w.startsWith('--')));
}

describe('Dockerfile', () => {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

  it('reads its COPY sources the way docker does', () => {
    expect(
      copiedPaths('COPY a b ./\nCOPY --from=build /app/dist ./dist\nCOPY --chown=1:1 \\\n  c ./c\n'),
    ).toEqual(['a', 'b', 'c']);
  });

  it('copies only paths that exist in the repository (the image builds)', () => {
    const copied = copiedPaths(text);
    expect(copied.length).toBeGreaterThan(3);
    expect(copied.filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });
});

describe('Dockerfile base and labels', () => {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;

  it('builds on a current Node LTS (22 or 24), pinned by digest', () => {
    expect(text).toMatch(/^ARG NODE_IMAGE=node:(22|24)-[\w-]+@sha256:[0-9a-f]{64}$/m);
  });

  it('labels the image (OCI) with the version of package.json', () => {
    expect(text).toContain(`ARG VERSION=${version}`);
    for (const key of ['title', 'description', 'version', 'licenses'])
      expect(text).toContain(`org.opencontainers.image.${key}=`);
  });
});
