import * as avro from 'avsc';
import { createRegistry } from '../../../src/kafka/clients';
import { loadConfig } from '../../../src/config';
import { CdcError } from '../../../src/errors';
import { stackEnv, uniqueName } from '../../stack/env';
import { makeTestPki, startTlsFront, type TestPki } from '../../stack/tls';

const SCHEMA = { type: 'record', name: 'TlsProbe', fields: [{ name: 'id', type: 'string' }] };

/** What a call fails with (or undefined when it succeeds). */
const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/**
 * The real registry reached over HTTPS through a TLS front whose certificate comes from a CA the test
 * makes: the settings SCHEMA_REGISTRY_CA_FILE, _CERT_FILE and _KEY_FILE, read from the environment as a
 * deployment sets them, are what makes it work, and without them the error names the setting.
 */
describe('schema registry over TLS', () => {
  let pki: TestPki;
  let front: Awaited<ReturnType<typeof startTlsFront>>;
  let mtls: Awaited<ReturnType<typeof startTlsFront>>;
  beforeAll(async () => {
    pki = makeTestPki();
    front = await startTlsFront(pki, stackEnv().registryUrl);
    mtls = await startTlsFront(pki, stackEnv().registryUrl, { requireClientCert: true });
  });
  afterAll(async () => {
    await front?.close();
    await mtls?.close();
  });

  const registryFor = (env: Record<string, string>) => createRegistry(loadConfig({ env }).schemaRegistry);

  it('registers, checks and decodes through a private CA given by SCHEMA_REGISTRY_CA_FILE', async () => {
    const registry = registryFor({ SCHEMA_REGISTRY_URL: front.url, SCHEMA_REGISTRY_CA_FILE: pki.caFile });
    try {
      const subject = uniqueName('tls-ca-value');
      const id = await registry.registerSubject(subject, SCHEMA);
      expect(id).toBeGreaterThan(0);
      expect(await registry.incompatibility(subject, SCHEMA)).toBeUndefined();
      // Decoding goes through the library's HTTP client: it fetches the schema by id over the same TLS.
      const header = Buffer.alloc(5);
      header.writeInt32BE(id, 1);
      const body = avro.Type.forSchema(SCHEMA as avro.Schema).toBuffer({ id: 'x1' });
      const message = Buffer.concat([header, body]);
      expect(await registry.decode(message)).toEqual({ id: 'x1' });
    } finally {
      registry.close();
    }
  });

  it('fails without the CA, at once, with an error naming SCHEMA_REGISTRY_CA_FILE', async () => {
    const registry = registryFor({ SCHEMA_REGISTRY_URL: front.url });
    try {
      const error = await failure(registry.registerSubject(uniqueName('tls-noca-value'), SCHEMA));
      expect(error).toBeInstanceOf(CdcError);
      expect((error as CdcError).kind).toBe('config');
      expect((error as Error).message).toMatch(/SCHEMA_REGISTRY_CA_FILE/);
    } finally {
      registry.close();
    }
  });

  it('presents the client certificate of SCHEMA_REGISTRY_CERT_FILE / _KEY_FILE to a registry that requires one', async () => {
    const withCert = registryFor({
      SCHEMA_REGISTRY_URL: mtls.url,
      SCHEMA_REGISTRY_CA_FILE: pki.caFile,
      SCHEMA_REGISTRY_CERT_FILE: pki.clientCertFile,
      SCHEMA_REGISTRY_KEY_FILE: pki.clientKeyFile,
    });
    const without = registryFor({ SCHEMA_REGISTRY_URL: mtls.url, SCHEMA_REGISTRY_CA_FILE: pki.caFile });
    try {
      expect(await withCert.registerSubject(uniqueName('tls-mtls-value'), SCHEMA)).toBeGreaterThan(0);
      const error = await failure(without.registerSubject(uniqueName('tls-nocert-value'), SCHEMA));
      expect(error).toBeInstanceOf(CdcError);
      expect((error as Error).message).toMatch(/SCHEMA_REGISTRY_CERT_FILE/);
    } finally {
      withCert.close();
      without.close();
    }
  });
});
