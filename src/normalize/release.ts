/**
 * `npm run schemas:release -- <version>`: freezes the composed key and value schemas of every stream
 * into `schemas/released/<version>/<stream>.json`, and those of the connector's own topics (heartbeat,
 * notifications) into `_connector.json`. A unit test proves every current schema BACKWARD compatible
 * with each released one (a consumer on the new schema reads what the old one wrote).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { STREAMS } from '../streams/names';
import { defaultSchemasDir, loadConnectorSchemas, loadStreamSchemas } from './schemas';

export function releasedDir(version: string, schemasDir: string = defaultSchemasDir()): string {
  return path.join(schemasDir, 'released', version);
}

if (require.main === module) {
  const version = process.argv[2];
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    console.error('usage: npm run schemas:release -- <major.minor.patch>');
    process.exit(2);
  }
  const dir = releasedDir(version);
  mkdirSync(dir, { recursive: true });
  for (const stream of STREAMS) {
    const { key, value } = loadStreamSchemas(stream);
    writeFileSync(path.join(dir, `${stream}.json`), `${JSON.stringify({ key, value }, null, 2)}\n`);
  }
  writeFileSync(path.join(dir, '_connector.json'), `${JSON.stringify(loadConnectorSchemas(), null, 2)}\n`);
  console.log(`released the schemas of ${STREAMS.length} streams and the connector's topics into ${dir}`);
}
