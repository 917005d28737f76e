import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type App } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import { loadStreamSchemas } from '../../../src/normalize';
import {
  apicurioConverter,
  flatProjection,
  startConnect,
  type ConnectHandle,
} from '../../../src/devstack/connect';
import { startPostgres, type PostgresHandle } from '../../../src/devstack/postgres';
import { sleep } from '../../../src/sleep';
import { useSimulator } from '../../helpers/simulator';
import { stackEnv } from '../../stack/env';
import { readTopics, testConfig } from '../capture/harness';

/**
 * Our topics read by other people's tools, unchanged: Kafka Connect with Apicurio's Avro converter
 * (Confluent wire format), Debezium's unwrap transform (ExtractNewRecordState) and Debezium's JDBC sink,
 * into a real PostgreSQL. The README's "Into a database with Kafka Connect" gives the same configuration.
 */
const sim = useSimulator(() => ({ seed: 24, size: { contacts: 30, companies: 8, conversations: 0 } }));

let connect: ConnectHandle;
let pg: PostgresHandle;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

beforeAll(async () => {
  [connect, pg] = await Promise.all([
    startConnect({ brokers: stackEnv().brokers, say: log }),
    startPostgres(log),
  ]);
}, 300_000);

afterAll(async () => {
  await Promise.all([connect?.stop(), pg?.stop()]);
});

/** The connector settings of the README: our Avro through Apicurio's converter, unwrap, Flatten, the
 * fields a table cannot hold dropped, one table per stream (`intercom_<stream>`). */
function jdbcSink(topics: string[], exclude: string[]): Record<string, string> {
  const { registryUrl } = stackEnv();
  return {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': '1',
    topics: topics.join(','),
    'connection.url': pg.jdbcUrl,
    'connection.username': pg.user,
    'connection.password': '',
    'insert.mode': 'upsert',
    'delete.enabled': 'true',
    'primary.key.mode': 'record_key',
    'primary.key.fields': 'id',
    'schema.evolution': 'basic',
    'collection.name.format': '${topic}',
    ...apicurioConverter('key.converter', registryUrl),
    ...apicurioConverter('value.converter', registryUrl),
    transforms: 'unwrap,drop,flatten,route',
    'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.delete.tombstone.handling.mode': 'delete-to-tombstone',
    'transforms.flatten.type': 'org.apache.kafka.connect.transforms.Flatten$Value',
    'transforms.flatten.delimiter': '_',
    'transforms.drop.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
    'transforms.drop.exclude': exclude.join(','),
    'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
    'transforms.route.regex': '.*\\.([a-z_]+)$',
    'transforms.route.replacement': 'intercom_$1',
  };
}

/** Polls `read` until it equals `expected` or the time is up; returns the last reading. */
async function eventually<T>(read: () => Promise<T>, expected: T, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await read();
  while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
    await sleep(500);
    last = await read();
  }
  return last;
}

/** A table's rows as `id|updated_at ms|value` lines, sorted; [] when the table does not exist yet. */
async function rows(table: string, column: string): Promise<string[]> {
  const exists = await pg.query(`select to_regclass('${table}') is not null`);
  if (exists !== 't') return [];
  const out = await pg.query(
    `select id || '|' || (extract(epoch from updated_at) * 1000)::bigint || '|' || coalesce(${column}, '') from ${table} order by id`,
  );
  return out === '' ? [] : out.split('\n');
}

/** The simulator's ground truth in the same form. */
function truth(stream: 'contacts' | 'companies', column: string): string[] {
  return sim.truth
    .ids(stream)
    .map((id) => {
      const o = sim.truth.get(stream, id)!;
      return `${id}|${Number(o.updated_at) * 1000}|${String(o[column] ?? '')}`;
    })
    .sort();
}

describe('Kafka Connect reads our topics unchanged', () => {
  it('Debezium’s JDBC sink keeps PostgreSQL equal to the simulator: first sync, changes and deletes', async () => {
    const app: App = await buildApp(testConfig(sim.url, { STREAMS: 'contacts,companies' }), silentLogger());
    const name = `jdbc-${path.basename(app.topics.events('contacts')).split('.')[0]}`;
    try {
      for (const stream of app.engine.polledStreams()) await app.engine.poll(stream);
      const exclude = [
        ...new Set(
          (['contacts', 'companies'] as const).flatMap(
            (s) => flatProjection(loadStreamSchemas(s).record).excluded,
          ),
        ),
      ];
      await connect.putConnector(
        name,
        jdbcSink([app.topics.events('contacts'), app.topics.events('companies')], exclude),
      );
      expect(await eventually(() => rows('intercom_contacts', 'email'), truth('contacts', 'email'))).toEqual(
        truth('contacts', 'email'),
      );
      expect(await eventually(() => rows('intercom_companies', 'name'), truth('companies', 'name'))).toEqual(
        truth('companies', 'name'),
      );

      // Changes and deletes in the simulator, captured, then the tables follow.
      sim.clock.advance(60_000);
      const [c1, c2, c3] = sim.truth.ids('contacts');
      sim.mutate.update('contacts', c1!, { email: 'changed@example.com' });
      sim.mutate.remove('contacts', c2!);
      sim.mutate.remove('contacts', c3!);
      sim.mutate.remove('companies', sim.truth.ids('companies')[0]!);
      sim.mutate.random(15, { streams: ['contacts', 'companies'] });
      sim.clock.advance(60_000);
      for (const stream of app.engine.polledStreams()) await app.engine.poll(stream);
      await app.engine.reconcile('contacts');
      const deletes = (
        await readTopics([app.topics.events('contacts'), app.topics.events('companies')])
      ).filter((e) => e.value?.op === 'd');
      expect(deletes.length).toBeGreaterThanOrEqual(3);

      expect(await eventually(() => rows('intercom_contacts', 'email'), truth('contacts', 'email'))).toEqual(
        truth('contacts', 'email'),
      );
      expect(await eventually(() => rows('intercom_companies', 'name'), truth('companies', 'name'))).toEqual(
        truth('companies', 'name'),
      );
      const ids = (await pg.query('select id from intercom_contacts')).split('\n');
      expect(ids).not.toContain(c2);
      expect(ids).not.toContain(c3);
      // Nested records land flattened (location_city), lists and maps are dropped.
      const columns = (
        await pg.query(
          "select column_name from information_schema.columns where table_name = 'intercom_contacts' order by 1",
        )
      ).split('\n');
      expect(columns).toEqual(
        expect.arrayContaining(['id', 'email', 'updated_at', 'location_city', 'avatar_image_url']),
      );
      expect(columns).not.toContain('custom_attributes');
      expect(columns).not.toContain('tags_url');
      expect(columns).not.toContain('raw');
    } finally {
      await connect.deleteConnector(name);
      await app.close();
    }
  });

  describe.each([
    ['rewrite', true],
    ['drop', false],
  ])('Debezium’s unwrap transform in %s mode', (mode, rewrite) => {
    it('handles our c, u, r and d events and tombstones as it handles Debezium’s', async () => {
      const app = await buildApp(testConfig(sim.url, { STREAMS: 'tags' }), silentLogger());
      const dir = mkdtempSync(path.join(os.tmpdir(), 'unwrap-'));
      const file = path.join(dir, 'out.txt');
      const name = `unwrap-${mode}-${path.basename(dir)}`;
      try {
        await app.engine.poll('tags'); // snapshot: r
        const created = sim.mutate.create('tags', { name: `made-${mode}` }); // c
        const [changed, removed] = sim.truth.ids('tags').filter((id) => id !== created);
        sim.mutate.update('tags', changed!, { name: `renamed-${mode}` }); // u
        sim.mutate.remove('tags', removed!); // d + tombstone
        await app.engine.poll('tags');
        const events = await readTopics([app.topics.events('tags')]);
        const ops = new Set(events.map((e) => e.value?.op ?? 'tombstone'));
        expect([...ops].sort()).toEqual(['c', 'd', 'r', 'tombstone', 'u']);

        const { registryUrl } = stackEnv();
        await connect.putConnector(name, {
          'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
          'tasks.max': '1',
          topics: app.topics.events('tags'),
          file,
          ...apicurioConverter('key.converter', registryUrl),
          ...apicurioConverter('value.converter', registryUrl),
          transforms: 'unwrap',
          'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
          'transforms.unwrap.delete.tombstone.handling.mode': mode,
          'transforms.unwrap.add.fields': 'op,source.ts_ms',
        });
        // What unwrap gives for each event: Debezium's documented behaviour of the mode.
        const expected = events
          .filter((e) => e.value !== null && (rewrite || e.value.op !== 'd'))
          .map((e) => `${e.id} ${e.value!.op}${rewrite ? ` deleted=${e.value!.op === 'd'}` : ''}`)
          .sort();
        const read = async (): Promise<string[]> => {
          if (!existsSync(file)) return [];
          return readFileSync(file, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => {
              if (line === 'null') return 'tombstone';
              const id = /[{,]id=([^,}]+)/.exec(line)?.[1];
              const op = /__op=([a-z])/.exec(line)?.[1];
              const deleted = /__deleted=(true|false)/.exec(line)?.[1];
              return `${id} ${op}${deleted === undefined ? '' : ` deleted=${deleted}`}`;
            })
            .sort();
        };
        expect(await eventually(read, expected, 60_000)).toEqual(expected);
        if (rewrite) {
          // The delete's row is the key image of `before`: the id, nothing made up.
          const line = readFileSync(file, 'utf8')
            .split('\n')
            .find((l) => l.includes(`id=${removed}`) && l.includes('__deleted=true'));
          expect(line).toBeDefined();
          expect(line).not.toMatch(/name=(?!null)/);
        }
      } finally {
        await connect.deleteConnector(name);
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
