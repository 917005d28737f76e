import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../../src');
/** Where a Kafka client may be imported: src/kafka and the composition root. */
const ALLOWED = [/^kafka\//, /^app\.ts$/, /^main\.ts$/];
const CLIENT_IMPORT =
  /(?:from\s+|require\(\s*|import\(\s*)['"](kafkajs|@platformatic\/kafka|@confluentinc\/kafka-javascript)['"]/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('the Kafka client boundary', () => {
  it('lets only src/kafka and the composition root import a Kafka client', () => {
    const importers = sources(SRC)
      .map((file) => path.relative(SRC, file).split(path.sep).join('/'))
      .filter((file) => CLIENT_IMPORT.test(readFileSync(path.join(SRC, file), 'utf8')));
    expect(importers.filter((file) => !ALLOWED.some((allowed) => allowed.test(file)))).toEqual([]);
    // The check sees the imports that are there (it would not pass by finding none).
    expect(importers).toEqual(expect.arrayContaining(['kafka/publisher.ts', 'kafka/platformatic.ts']));
  });
});
