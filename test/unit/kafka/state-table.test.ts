import { createHash } from 'node:crypto';
import type { ObjectState } from '../../../src/capture/contracts';
import { ObjectTable } from '../../../src/kafka/object-table';
import { StateStore } from '../../../src/kafka/state-store';
import { contentHash } from '../../../src/normalize';
import { seededRandom } from '../../helpers/random';

const hex = (rnd: () => number, n: number) =>
  Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');

/** Ids of every shape Intercom uses, and some it does not. */
function idOf(rnd: () => number): string {
  const kinds: (() => string)[] = [
    () => hex(rnd, 24), // contacts, companies
    () => String(Math.floor(rnd() * 1e6)), // conversations, parts, admins, tags
    () => String(Math.floor(rnd() * 1e15)), // the largest decimal held as a number
    () => String(2 ** 53 + Math.floor(rnd() * 1000)), // past it: kept as text
    () => `0${Math.floor(rnd() * 1000)}`, // leading zero
    () => '0',
    () => hex(rnd, 24).toUpperCase(),
    () => `${hex(rnd, 8)}-${hex(rnd, 4)}-4${hex(rnd, 3)}-a${hex(rnd, 3)}-${hex(rnd, 12)}`, // UUID
    () => `contact.custom_${Math.floor(rnd() * 50)}`, // data attributes
    () => '',
    () => `Ünïcødé ${Math.floor(rnd() * 20)} ✓`,
    () => hex(rnd, 23),
    () => `-${Math.floor(rnd() * 100)}`,
  ];
  return kinds[Math.floor(rnd() * kinds.length)]!();
}

function stateOf(rnd: () => number): ObjectState {
  const us = [
    () => null,
    () => 0,
    () => -0,
    () => -Math.floor(rnd() * 1e12),
    () => 1_700_000_000_000 + Math.floor(rnd() * 1e10),
    () => Number.MAX_VALUE,
    () => 1.5,
    () => NaN,
  ];
  const hs = [
    () => contentHash({ n: rnd() }),
    () => contentHash({ n: rnd() }),
    () => createHash('sha256').update(String(rnd())).digest('base64url').slice(0, 42) + 'B', // low bits set
    () => 'x',
    () => '',
    () => createHash('sha256').update(String(rnd())).digest('base64'), // padded, with + and /
    () => contentHash({ n: rnd() }).slice(0, 42) + '€',
  ];
  return { u: us[Math.floor(rnd() * us.length)]!(), h: hs[Math.floor(rnd() * hs.length)]!() };
}

const sorted = (ids: Iterable<string>) => [...ids].sort();

describe('ObjectTable', () => {
  it.each([1, 2, 3, 4, 5])('answers as a Map does on random operations (seed %i)', (seed) => {
    const rnd = seededRandom(seed);
    const table = new ObjectTable();
    const model = new Map<string, ObjectState>();
    const pool: string[] = [];
    for (let step = 0; step < 3000; step++) {
      const reuse = pool.length > 0 && rnd() < 0.6;
      const id = reuse ? pool[Math.floor(rnd() * pool.length)]! : idOf(rnd);
      if (!reuse) pool.push(id);
      if (rnd() < 0.3) {
        expect(table.delete(id)).toBe(model.delete(id));
      } else {
        const state = stateOf(rnd);
        table.set(id, state);
        model.set(id, state);
      }
      expect(table.get(id)).toEqual(model.get(id));
      expect(table.size).toBe(model.size);
      if (step % 100 === 0) {
        expect(sorted(table.keys())).toEqual(sorted(model.keys()));
        for (const [k, v] of model) expect(table.get(k)).toEqual(v);
      }
    }
    expect(sorted(table.keys())).toEqual(sorted(model.keys()));
    for (const id of pool) expect(table.get(id)).toEqual(model.get(id));
  });

  it('keeps every id through growth, deletes and re-adds of many compact ids', () => {
    const rnd = seededRandom(42);
    const table = new ObjectTable();
    const model = new Map<string, ObjectState>();
    const ids = Array.from({ length: 70_000 }, (_, i) => (i % 2 ? String(i * 7) : hex(rnd, 24)));
    for (const id of ids) {
      const state = { u: Math.floor(rnd() * 1e13), h: contentHash(id) };
      table.set(id, state);
      model.set(id, state);
    }
    for (let i = 0; i < ids.length; i += 3) {
      table.delete(ids[i]!);
      model.delete(ids[i]!);
    }
    for (let i = 0; i < ids.length; i += 6) {
      const state = { u: null, h: contentHash(i) };
      table.set(ids[i]!, state);
      model.set(ids[i]!, state);
    }
    expect(table.size).toBe(model.size);
    expect(sorted(table.keys())).toEqual(sorted(model.keys()));
    expect(ids.map((id) => table.get(id))).toEqual(ids.map((id) => model.get(id)));
  });

  it('reuses freed slots: churn does not grow its memory', () => {
    const rnd = seededRandom(7);
    const table = new ObjectTable();
    const live: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const id = hex(rnd, 24);
      live.push(id);
      table.set(id, { u: i, h: contentHash(i) });
    }
    const held = table.bytes();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 2500; i++) table.delete(live.shift()!);
      for (let i = 0; i < 2500; i++) {
        const id = String(round * 10_000 + i);
        live.push(id);
        table.set(id, { u: i, h: contentHash(id) });
      }
    }
    expect(table.size).toBe(5000);
    expect(table.bytes()).toBe(held);
  });

  it('holds an object of the usual shape in about 60 bytes', () => {
    const table = new ObjectTable();
    const n = 3 * 65_536; // three full pages
    for (let i = 0; i < n; i++)
      table.set((i * 7919).toString(16).padStart(24, '0'), { u: i, h: contentHash(i) });
    expect(table.size).toBe(n);
    expect(table.bytes() / n).toBeLessThan(70);
  });
});

describe('StateStore restore', () => {
  it('restores through apply() what objectRecord() wrote, for random operations', () => {
    const rnd = seededRandom(11);
    const writer = new StateStore('cdc');
    const restored = new StateStore('cdc');
    const model = new Map<string, Map<string, ObjectState>>();
    const streams = ['contacts', 'conversation_parts', 'data_attributes'];
    const pool: [string, string][] = [];
    for (let step = 0; step < 4000; step++) {
      const reuse = pool.length > 0 && rnd() < 0.5;
      const [stream, id] = reuse
        ? pool[Math.floor(rnd() * pool.length)]!
        : [streams[Math.floor(rnd() * streams.length)]!, idOf(rnd)];
      if (!reuse) pool.push([stream, id]);
      const state = rnd() < 0.25 ? null : stateOf(rnd);
      // what a restore sees: JSON keeps no NaN or -0
      const expected = state && (JSON.parse(JSON.stringify(state)) as ObjectState);
      const record = writer.objectRecord(stream, id, state);
      restored.apply(
        Buffer.from(String(record.key)),
        record.value === null ? null : Buffer.from(String(record.value)),
      );
      const byStream = model.get(stream) ?? new Map<string, ObjectState>();
      model.set(stream, byStream);
      if (expected) byStream.set(id, expected);
      else byStream.delete(id);
      expect(restored.object(stream, id)).toEqual(byStream.get(id));
    }
    for (const [stream, byStream] of model) {
      expect(restored.size(stream)).toBe(byStream.size);
      expect(sorted(restored.ids(stream))).toEqual(sorted(byStream.keys()));
      for (const [id, state] of byStream) expect(restored.object(stream, id)).toEqual(state);
    }
  });

  it('ignores records of other connectors, also after one of its own', () => {
    const store = new StateStore('cdc');
    const state = { u: 1, h: contentHash(1) };
    const own = store.objectRecord('contacts', '42', state);
    store.apply(Buffer.from(String(own.key)), Buffer.from(String(own.value)));
    store.apply(Buffer.from('cdc2/contacts/43'), Buffer.from(String(own.value)));
    store.apply(Buffer.from('cd/contacts/44'), Buffer.from(String(own.value)));
    expect(sorted(store.ids('contacts'))).toEqual(['42']);
  });

  it('restores the records the previous release wrote (JSON.stringify of v 1)', () => {
    const store = new StateStore('cdc');
    const h = contentHash({ a: 1 });
    const records: [string, string | null][] = [
      ['cdc/contacts/5f1e2d3c4b5a69788796a5b4', JSON.stringify({ v: 1, u: 1734537424000, h })],
      ['cdc/contacts/5f1e2d3c4b5a69788796a5b5', JSON.stringify({ v: 1, u: null, h })],
      ['cdc/tags/17', JSON.stringify({ v: 1, u: null, h })],
      ['cdc/tags/18', JSON.stringify({ v: 1, u: 3, h })],
      ['cdc/tags/18', null],
      ['cdc/contacts', JSON.stringify({ v: 1, watermark: 10, lastReconcile: null, snapshotDone: true })],
    ];
    for (const [k, v] of records) store.apply(Buffer.from(k), v === null ? null : Buffer.from(v));
    expect(store.object('contacts', '5f1e2d3c4b5a69788796a5b4')).toEqual({ u: 1734537424000, h });
    expect(store.object('contacts', '5f1e2d3c4b5a69788796a5b5')).toEqual({ u: null, h });
    expect(store.object('tags', '17')).toEqual({ u: null, h });
    expect(store.object('tags', '18')).toBeUndefined();
    expect(store.size()).toBe(3);
    expect(store.streamProgress('contacts')).toEqual({
      watermark: 10,
      lastReconcile: null,
      snapshotDone: true,
    });
  });
});
