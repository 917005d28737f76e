import * as avro from 'avsc';
import { CdcError } from '../../../src/errors';
import { buildEnvelope, loadStreamSchemas, mapRecord, type SourceInfo } from '../../../src/normalize';
import tag from '../../fixtures/intercom/tags.json';

const source: SourceInfo = {
  connector: 'intercom-cdc',
  workspace_id: 'ecahpwf5',
  stream: 'tags',
  api_version: '2.14',
  snapshot: true,
  updated_at: null,
  prev_updated_at: null,
};
const schemas = loadStreamSchemas('tags');
const valueType = avro.Type.forSchema(schemas.value as avro.Schema);
const after = mapRecord(schemas.record, tag, 'tags');

describe('buildEnvelope', () => {
  it('builds the documented envelope, which avsc encodes and decodes unchanged', () => {
    const envelope = buildEnvelope({ op: 'r', tsMs: 1734700000123, source, after, raw: JSON.stringify(tag) });
    expect(envelope).toEqual({ op: 'r', ts_ms: 1734700000123, source, after, raw: JSON.stringify(tag) });
    expect(valueType.fromBuffer(valueType.toBuffer(envelope))).toEqual(envelope);
  });

  it('encodes a delete: op d without after and without raw', () => {
    const envelope = buildEnvelope({
      op: 'd',
      tsMs: 1734700000123,
      source: { ...source, snapshot: false, updated_at: 1734537424000, prev_updated_at: 1734537000000 },
      after: null,
      raw: null,
    });
    expect(valueType.fromBuffer(valueType.toBuffer(envelope))).toEqual(envelope);
  });

  it('copies only the documented source fields', () => {
    const noisy = { ...source, token: 'must-not-leak' } as SourceInfo;
    const envelope = buildEnvelope({ op: 'c', tsMs: 1, source: noisy, after, raw: null });
    expect(Object.keys(envelope.source).sort()).toEqual(
      [
        'api_version',
        'connector',
        'prev_updated_at',
        'snapshot',
        'stream',
        'updated_at',
        'workspace_id',
      ].sort(),
    );
  });

  it.each<[string, Parameters<typeof buildEnvelope>[0]]>([
    ['a delete with an after record', { op: 'd', tsMs: 1, source, after, raw: null }],
    ['a create without an after record', { op: 'c', tsMs: 1, source, after: null, raw: null }],
    ['an update without an after record', { op: 'u', tsMs: 1, source, after: null, raw: null }],
    ['a read without an after record', { op: 'r', tsMs: 1, source, after: null, raw: null }],
    ['seconds with a fraction as ts_ms', { op: 'c', tsMs: 1734700000.5, source, after, raw: null }],
    [
      'NaN as updated_at',
      { op: 'c', tsMs: 1, source: { ...source, updated_at: Number.NaN }, after, raw: null },
    ],
  ])('refuses %s', (_label, args) => {
    expect(() => buildEnvelope(args)).toThrow(CdcError);
    expect(() => buildEnvelope(args)).toThrow(/buildEnvelope: /);
  });
});
