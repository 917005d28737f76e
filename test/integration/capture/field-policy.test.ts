import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../../src/app';
import { silentLogger } from '../../../src/logger';
import { SCHEMA_PROPERTY, STRING_MASK, hmac } from '../../../src/normalize/policy';
import { stackEnv } from '../../stack/env';
import { connectorEnv, startCli } from '../../stack/cli';
import { deadLetters, waitFor } from '../faults/helpers';
import { useSimulator } from '../../helpers/simulator';
import { byId, readTopics, testConfig, type DecodedEvent } from './harness';

const sim = useSimulator(() => ({ seed: 24, size: { contacts: 12 } }));

const SECRET = 'field-policy-secret-of-the-test';
const POLICY = {
  contacts: { mask: ['email'], drop: ['phone', 'custom_attributes.plan'], hash: ['name'] },
};

/** Whether a JSON text or object shows any of the personal data the policy keeps off the bus. */
function leaks(value: unknown, truths: Record<string, unknown>[]): string[] {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const found: string[] = [];
  for (const t of truths) {
    for (const field of ['email', 'phone', 'name'] as const)
      if (typeof t[field] === 'string' && text.includes(t[field])) found.push(`${field} ${t[field]}`);
  }
  if (/"plan"/.test(text)) found.push('custom_attributes.plan');
  return found;
}

/**
 * The field policy through the real stack: with a masked email, a dropped phone and custom attribute and a
 * hashed name, no copy on the bus (`after`, `raw`, the dead-letter topic, on a worker thread or not)
 * holds them, the registered schema says so, and a hashed value is the same in another process.
 */
describe('field policy', () => {
  it('keeps masked, dropped and hashed fields off the bus, and hashes alike after a restart', async () => {
    const ids = sim.truth.ids('contacts');
    const truths = ids.map((id) => sim.truth.get('contacts', id)!);
    expect(truths.some((t) => typeof t.phone === 'string')).toBe(true);
    expect(truths.every((t) => 'plan' in (t.custom_attributes as object))).toBe(true);
    const config = testConfig(sim.url, {
      STREAMS: 'contacts',
      CAPTURE_WORKERS: '1',
      FIELD_POLICY: JSON.stringify(POLICY),
      FIELD_POLICY_SECRET: SECRET,
    });
    const app = await buildApp(config, silentLogger());
    const topic = app.topics.events('contacts');
    const [unreadable, unmappable] = ids;
    try {
      // Three dead letters: a contact that cannot be read (its updated_at), one whose record cannot be
      // written (its created_at), and an item without an id.
      sim.faults.add({
        kind: 'corrupt',
        objects: {
          [unreadable!]: { set: { updated_at: 'yesterday' } },
          [unmappable!]: { set: { created_at: 'not a time' } },
        },
        match: { path: /^\/contacts/ },
        times: Infinity,
      });
      const snapshot = await app.engine.poll('contacts');
      expect(snapshot).toMatchObject({ published: ids.length - 2, deadLetters: 2 });
      sim.faults.clear();
      // The next window's search page carries an item without an id (a copy of a contact).
      sim.clock.advance(60_000);
      sim.mutate.update('contacts', ids[3]!);
      sim.faults.add({
        kind: 'extraItems',
        items: [{ ...truths[2], id: undefined }],
        match: { method: 'POST', path: '/contacts/search' },
        times: 1,
      });
      expect(await app.engine.poll('contacts')).toMatchObject({ deadLetters: 1 });
    } finally {
      await app.close();
      sim.faults.clear();
    }

    let dlq = await deadLetters(app.topics.dlq);
    await waitFor(async () => (dlq = await deadLetters(app.topics.dlq)).length >= 3, 15_000);
    // A failed reading (its updated_at), a good one whose record cannot be written, an item without an id.
    const byKey = (key: string | null) => dlq.find((d) => d.key === key)!;
    expect(byKey(unreadable!).error).toMatch(/contacts\.updated_at/);
    expect(byKey(unmappable!).error).toMatch(/contacts\.created_at/);
    expect(byKey(null).code).toBe('invalid_item');
    for (const letter of dlq) {
      const raw = letter.raw as Record<string, unknown>;
      expect(raw.email).toBe(STRING_MASK);
      expect(raw).not.toHaveProperty('phone');
      expect(raw.custom_attributes).not.toHaveProperty('plan');
      expect(leaks(letter, truths)).toEqual([]);
    }

    const first = byId(await readTopics([topic]));
    expect(first.size).toBeGreaterThanOrEqual(ids.length - 2);
    const hashedNames = new Map<string, unknown>();
    for (const [id, events] of first) {
      const truth = sim.truth.get('contacts', id)!;
      const { after, raw } = events[events.length - 1]!.value!;
      expect(after!.email).toBe(STRING_MASK);
      expect(after!.phone).toBeNull();
      expect(after!.custom_attributes).not.toHaveProperty('plan');
      expect(after!.name).toBe(hmac(SECRET, String(truth.name)));
      const rawObject = JSON.parse(raw!) as Record<string, unknown>;
      expect(rawObject.email).toBe(STRING_MASK);
      expect(rawObject).not.toHaveProperty('phone');
      expect(rawObject.custom_attributes).not.toHaveProperty('plan');
      expect(rawObject.name).toBe(after!.name);
      expect(leaks(after, truths)).toEqual([]);
      expect(leaks(raw, truths)).toEqual([]);
      hashedNames.set(id, after!.name);
    }

    // The registered value schema says what the policy does.
    const subject = `${topic}-value`;
    const registered = (await (
      await fetch(`${stackEnv().registryUrl}/subjects/${subject}/versions/latest`)
    ).json()) as { schema: string };
    const value = JSON.parse(registered.schema) as { fields: { name: string; type: unknown }[] };
    const record = (value.fields.find((f) => f.name === 'before')!.type as Record<string, unknown>[])[1]!;
    expect(record[SCHEMA_PROPERTY]).toMatchObject(POLICY.contacts);

    // Another process (the secret from a file now), every contact again: the same hashes.
    const secretFile = path.join(mkdtempSync(path.join(tmpdir(), 'cdc-policy-')), 'secret');
    writeFileSync(secretFile, `${SECRET}\n`);
    const backfill = startCli(
      ['backfill', '--stream', 'contacts', '--force'],
      connectorEnv(config, { FIELD_POLICY: JSON.stringify(POLICY), FIELD_POLICY_SECRET_FILE: secretFile }),
    );
    expect(await backfill.exited).toBe(0);
    expect(backfill.stderr()).not.toContain(SECRET);
    const second = byId(await readTopics([topic]));
    for (const [id, name] of hashedNames) {
      const events = second.get(id)!;
      const last: DecodedEvent = events[events.length - 1]!;
      expect(events.length).toBe(first.get(id)!.length + 1);
      expect(last.value!.op).toBe('r');
      expect(last.value!.after!.name).toBe(name);
      expect(leaks(last.value!.raw, truths)).toEqual([]);
    }
  });
});
