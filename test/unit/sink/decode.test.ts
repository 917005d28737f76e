import http from 'node:http';
import net from 'node:net';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { CdcError } from '../../../src/errors';
import { decodeValue, type InputFormat } from '../../../src/sink/decode';
import { RejectedRecord } from '../../../src/sink/rejected';
import { closedPort } from '../../helpers/net';

/** A record in the wire format: magic byte 0, schema id 7, then Avro bytes. */
const WIRE = Buffer.from([0, 0, 0, 0, 7, 2, 0x61]);

/** A loopback registry that answers every call with `status` and `body`, for the real registry client. */
async function registryAnswering(status: number, body: unknown): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => void server.close() };
}

const avroFrom = (host: string): InputFormat => ({
  format: 'avro',
  registry: new SchemaRegistry({ host, retry: { retries: 0 } }),
  setting: 'SINK_CONTACTS_FORMAT',
});

async function failureOf(value: Buffer, input: InputFormat): Promise<unknown> {
  return decodeValue(value, input).then(
    () => new Error('expected a failure'),
    (error: unknown) => error,
  );
}

describe('decodeValue, through the real registry client', () => {
  it('a registry that does not answer (refused): registry_unavailable, retried; the record is not at fault', async () => {
    const error = await failureOf(WIRE, avroFrom(`http://127.0.0.1:${await closedPort()}`));
    expect(error).toBeInstanceOf(CdcError);
    expect(error).not.toBeInstanceOf(RejectedRecord);
    expect(error).toMatchObject({ code: 'registry_unavailable', kind: 'transient', retriable: true });
  });

  it.each([500, 503, 429])('a registry answering %d: registry_unavailable', async (status) => {
    const registry = await registryAnswering(status, { error_code: status * 100, message: 'busy' });
    try {
      expect(await failureOf(WIRE, avroFrom(registry.url))).toMatchObject({
        code: 'registry_unavailable',
        retriable: true,
      });
    } finally {
      registry.close();
    }
  });

  it('a schema id the registry does not know (404): the record is undecodable', async () => {
    const registry = await registryAnswering(404, { error_code: 40403, message: 'Schema 7 not found' });
    try {
      const error = await failureOf(WIRE, avroFrom(registry.url));
      expect(error).toBeInstanceOf(RejectedRecord);
      expect(error).toMatchObject({ code: 'undecodable', retriable: false });
    } finally {
      registry.close();
    }
  });

  it('bytes that do not fit the schema: the record is undecodable', async () => {
    const schema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'n', type: 'long' },
        { name: 's', type: 'string' },
      ],
    };
    const registry = await registryAnswering(200, { schema: JSON.stringify(schema) });
    try {
      const error = await failureOf(WIRE, avroFrom(registry.url));
      expect(error).toMatchObject({ code: 'undecodable' });
      expect(error).toBeInstanceOf(RejectedRecord);
    } finally {
      registry.close();
    }
  });

  it('credentials the registry refuses (401): a configuration error, not a dead letter', async () => {
    const registry = await registryAnswering(401, { error_code: 40101, message: 'Unauthorized' });
    try {
      const error = await failureOf(WIRE, avroFrom(registry.url));
      expect(error).not.toBeInstanceOf(RejectedRecord);
      expect(error).toMatchObject({ code: 'registry_unauthorized', kind: 'config', retriable: false });
    } finally {
      registry.close();
    }
  });

  it('a value that is not the format is undecodable before any registry call', async () => {
    const json: InputFormat = { format: 'json', setting: 'SINK_CONTACTS_FORMAT' };
    expect(await failureOf(Buffer.from('{"a": '), json)).toMatchObject({ code: 'undecodable' });
    expect(await failureOf(Buffer.from([0xff, 0xfe]), json)).toMatchObject({ code: 'undecodable' });
    await expect(decodeValue(Buffer.from('{"a":1}'), json)).resolves.toEqual({ a: 1 });
    const avro: InputFormat = { format: 'avro', setting: 'SINK_CONTACTS_FORMAT' }; // no registry: never asked
    expect(await failureOf(Buffer.from('{"a":1}'), avro)).toMatchObject({ code: 'undecodable' });
  });
});
