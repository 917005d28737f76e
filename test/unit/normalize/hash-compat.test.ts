import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventWriter, loadStreamSchemas, read } from '../../../src/normalize';
import { canonicalJson, contentHash } from '../../../src/normalize';
import { STREAM_DEFS } from '../../../src/streams/definitions';
import type { StreamName } from '../../../src/normalize';

/**
 * The state topic keeps each object's content hash, and a release must diff against the hashes an
 * older one wrote: a changed hash would publish every untimed object again (admins, teams, tags …)
 * and make every equal-`updated_at` copy look changed. The expected values below were computed by
 * release 0.1.0's `contentHash` (commit c7b7b7e, src/normalize/hash.ts) over the same inputs; they
 * are literals on purpose: never regenerate them with the current code.
 */
const FIXTURES = join(__dirname, '../../fixtures/intercom');

const HASHES_0_1_0: Record<StreamName, string> = {
  admins: 'j_hOVRwUgYPuvnQbQo6l5eIBGIMH9zi6p3p_3UzfsBE',
  articles: 'hY4iEuJPwaAEMM9dvjrEcmUDDNpG3XZdiwoCIUDzSXw',
  companies: 'lR3vSNSsMkPB1XLcQ3z8dbppjTeg7WOr7sczj07O4oE',
  contacts: 'WtogrBXhZNk_bKxcv7lytmLT8VlYSQ3jDuLeYFZI45E',
  conversation_parts: 'UjE-Lx0JJN2lrkYFJJZdZDMxaqnXaOJJWt-9G-XnTak',
  conversations: 'CKC1gWHTRqmo385UFnJuDoie0T1qhhIv5b6acDsmA9Q',
  data_attributes: 'zK0qP5noBhxN4CwTrypPXDF56dWxJtTxE6xwnF6E0cA',
  help_center_collections: 'uDMeIy7czj7vQS-LjLVk8z5wWflNQf3tS013pWpPJD0',
  segments: 'fXdxyUz8NItYi1yEht1O8AL_ds17LtVDJ9vAa8UVAVQ',
  tags: 'pWnBfPJohg-ZhDQTFzqqO5JowUT6n1tKw5hluppt8Yc',
  teams: '8pVbWhmxFeFItc8Ycrq3QpObAli5TLndWgKsvMvdp7Y',
  tickets: 'QpbCD3Abw9XYHtJJnsbxwYxC68crw7OW47PxuODBa6Q',
};

/** Keys that need escaping or sort unlike their numeric value, numbers JSON writes specially, text
 * outside ASCII (U+2028 and an astral emoji included), nested empties. */
const EDGE = {
  é: 1,
  'a"b': [1.5, -0, 1e21, 1e-7, 0.1],
  '10': 'x',
  '9': { '\u0001': 'ctl\n', z: '😀', A: null, a: [[], {}] },
  '\u2028': 'ls\u2028',
  b: true,
  c: false,
  B: 'Ü',
};
const EDGE_0_1_0 = 'F3T09kbJajcFtgSYrPn0omgDMluE3UjSl0H8c9JyRAE';

function fixture(stream: StreamName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, `${stream}.json`), 'utf8')) as Record<string, unknown>;
}

/** The stream's record (the type of `after`). */
const recordOf = (stream: StreamName) => new EventWriter(loadStreamSchemas(stream).value).record;

describe('content hash compatibility with release 0.1.0', () => {
  it.each(Object.keys(HASHES_0_1_0) as StreamName[])(
    '%s: the hash the diff reads equals 0.1.0 for the official example',
    (stream) => {
      const reading = read(STREAM_DEFS[stream], recordOf(stream), 'x', fixture(stream));
      expect(reading.ok && reading.hash).toBe(HASHES_0_1_0[stream]);
    },
  );

  it('hashes edge-case keys, numbers and text as 0.1.0 did', () => {
    expect(contentHash(EDGE)).toBe(EDGE_0_1_0);
    expect(contentHash(JSON.parse(JSON.stringify(EDGE)))).toBe(EDGE_0_1_0);
  });

  it("leaves a conversation's parts out of its hash, as 0.1.0 did", () => {
    const conversation = fixture('conversations');
    conversation.conversation_parts = {
      type: 'conversation_part.list',
      conversation_parts: [fixture('conversation_parts')],
      total_count: 1,
    };
    const reading = read(STREAM_DEFS.conversations, recordOf('conversations'), 'x', conversation);
    expect(reading.ok && reading.hash).toBe(HASHES_0_1_0.conversations);
  });

  it('the canonical JSON of the edge case is the one 0.1.0 hashed', () => {
    expect(canonicalJson(EDGE)).toBe(
      '{"10":"x","9":{"\\u0001":"ctl\\n","A":null,"a":[[],{}],"z":"😀"},"B":"Ü","a\\"b":[1.5,0,1e+21,1e-7,0.1],"b":true,"c":false,"é":1,"\u2028":"ls\u2028"}',
    );
  });
});
