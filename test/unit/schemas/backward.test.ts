import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as avro from 'avsc';
import { defaultSchemasDir, loadConnectorSchemas, loadStreamSchemas } from '../../../src/normalize';
import { STREAMS } from '../../../src/streams';

const RELEASED = path.join(defaultSchemasDir(), 'released');
const versions = existsSync(RELEASED) ? readdirSync(RELEASED).sort() : [];

/** A reader on the current schema must read what every released schema wrote (BACKWARD). */
function readable(current: object, released: object): string | undefined {
  try {
    avro.Type.forSchema(current as avro.Schema).createResolver(avro.Type.forSchema(released as avro.Schema));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('schemas stay BACKWARD compatible with every released version', () => {
  it('has at least one released version to compare with', () => {
    expect(versions.length).toBeGreaterThan(0);
  });

  for (const version of versions) {
    it.each(STREAMS.map((s) => [s]))(`%s reads what ${version} wrote`, (stream) => {
      const released = JSON.parse(readFileSync(path.join(RELEASED, version, `${stream}.json`), 'utf8')) as {
        key: object;
        value: object;
      };
      const current = loadStreamSchemas(stream);
      expect({
        key: readable(current.key, released.key),
        value: readable(current.value, released.value),
      }).toEqual({
        key: undefined,
        value: undefined,
      });
    });
  }

  // The connector's own topics (heartbeat, notifications) are frozen from the first release that has them.
  for (const version of versions.filter((v) => existsSync(path.join(RELEASED, v, '_connector.json')))) {
    it(`the heartbeat and notification records read what ${version} wrote`, () => {
      const released = JSON.parse(
        readFileSync(path.join(RELEASED, version, '_connector.json'), 'utf8'),
      ) as Record<'key' | 'heartbeat' | 'notification', object>;
      const current = loadConnectorSchemas();
      expect({
        key: readable(current.key, released.key),
        heartbeat: readable(current.heartbeat, released.heartbeat),
        notification: readable(current.notification, released.notification),
      }).toEqual({ key: undefined, heartbeat: undefined, notification: undefined });
    });
  }

  it('notices an incompatible change (a new field without a default)', () => {
    const current = loadStreamSchemas('tags').value as { fields: object[] };
    const broken = { ...current, fields: [...current.fields, { name: 'extra', type: 'string' }] };
    expect(readable(broken, current)).toMatch(/extra/);
  });
});
