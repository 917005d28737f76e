import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { configLeaves, configTable, loadConfig, maskedConfig } from '../../../src/config';
import { platformaticProblems } from '../../../src/config/load';
import { ConfigError } from '../../../src/errors';

const dir = mkdtempSync(path.join(tmpdir(), 'cdc-config-'));
function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives documented defaults with an empty environment', () => {
    const c = loadConfig({ env: {} });
    expect(c.connector.name).toBe('intercom-cdc');
    expect(c.kafka.topicPrefix).toBe('intercom');
    expect(c.intercom.apiVersion).toBe('2.14');
    expect(c.streams.enabled).toContain('contacts');
    expect(c.streams.enabled).toHaveLength(12);
    expect(Object.isFrozen(c.kafka)).toBe(true);
  });

  it('applies defaults < file < environment < flags', () => {
    const cfg = file(
      'p.json',
      JSON.stringify({ kafka: { topicPrefix: 'fromfile', clientId: 'file-client' }, log: { level: 'warn' } }),
    );
    const c = loadConfig({
      env: { TOPIC_PREFIX: 'fromenv', KAFKA_BROKERS: 'a:1,b:2' },
      configFile: cfg,
      overrides: { 'kafka.brokers': ['flag:9'] },
    });
    expect(c.kafka.clientId).toBe('file-client');
    expect(c.kafka.topicPrefix).toBe('fromenv');
    expect(c.log.level).toBe('warn');
    expect(c.kafka.brokers).toEqual(['flag:9']);
  });

  it('reads CONFIG_FILE (YAML too) and per-stream overrides', () => {
    const cfg = file('c.yaml', 'streams:\n  overrides:\n    admins:\n      pollIntervalMs: 600000\n');
    const c = loadConfig({ env: { CONFIG_FILE: cfg, STREAMS: 'admins, contacts' } });
    expect(c.streams.enabled).toEqual(['admins', 'contacts']);
    expect(c.streams.overrides).toEqual({ admins: { pollIntervalMs: 600000 } });
  });

  it('lists every bad key at once: unknown keys, bad values, bad env', () => {
    const cfg = file('bad.json', JSON.stringify({ kafka: { topicPrefx: 'typo' }, bogus: 1 }));
    const problems = problemsOf(() =>
      loadConfig({
        env: { KAFKA_BROKERS: 'no-port', STREAMS: 'contacts,widgets', HTTP_PORT: 'eighty' },
        configFile: cfg,
      }),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/kafka\.topicPrefx/);
    expect(text).toMatch(/bogus/);
    expect(text).toMatch(/kafka\.brokers.*no-port/);
    expect(text).toMatch(/streams\.enabled.*widgets/);
    expect(text).toMatch(/http\.port/);
  });

  it('reports an unreadable or malformed config file by name', () => {
    expect(
      problemsOf(() => loadConfig({ env: {}, configFile: path.join(dir, 'missing.json') })).join(),
    ).toMatch(/missing\.json/);
    expect(
      problemsOf(() => loadConfig({ env: {}, configFile: file('broken.json', '{ nope') })).join(),
    ).toMatch(/broken\.json/);
  });

  it('reads secrets from *_FILE and refuses both forms at once', () => {
    const secret = file('token', 'tok_from_file\n');
    expect(loadConfig({ env: { INTERCOM_TOKEN_FILE: secret } }).intercom.token).toBe('tok_from_file');
    const both = problemsOf(() => loadConfig({ env: { INTERCOM_TOKEN: 'x', INTERCOM_TOKEN_FILE: secret } }));
    expect(both.join()).toMatch(/both INTERCOM_TOKEN and INTERCOM_TOKEN_FILE/);
    const missing = problemsOf(() =>
      loadConfig({ env: { KAFKA_SASL_PASSWORD_FILE: path.join(dir, 'nope') } }),
    );
    expect(missing.join()).toMatch(/KAFKA_SASL_PASSWORD_FILE=.*cannot be read \(ENOENT\)/);
  });

  it('keeps the file each secret was read from, and config print does not show it', () => {
    const secret = file('token-kept', 'tok_kept\n');
    const config = loadConfig({ env: { INTERCOM_TOKEN_FILE: secret, INTERCOM_OAUTH_CLIENT_SECRET: 's' } });
    expect(config.secretFiles).toEqual({ 'intercom.token': secret });
    expect(Object.isFrozen(config.secretFiles)).toBe(true);
    expect(maskedConfig(config)).not.toHaveProperty('secretFiles');
  });

  it('checks keys that go together', () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SSL_CERT_FILE: '/c' } }),
    );
    expect(problems.join('\n')).toMatch(/kafka\.sasl/);
    expect(problems.join('\n')).toMatch(/KAFKA_SSL_KEY_FILE/);
  });

  it('masks every sensitive value and never puts one into an error', () => {
    const env = {
      INTERCOM_TOKEN: 'tok_secret_123',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'pw_secret_456',
    };
    const printed = JSON.stringify(maskedConfig(loadConfig({ env })));
    expect(printed).not.toMatch(/tok_secret_123|pw_secret_456/);
    expect(printed).toMatch(/\[redacted\]/);
    const problems = problemsOf(() => loadConfig({ env: { ...env, HTTP_PORT: 'x', KAFKA_BROKERS: 'bad' } }));
    expect(problems.join('\n')).not.toMatch(/tok_secret_123|pw_secret_456/);
  });

  it('documents every key, and the table names every environment variable', () => {
    const table = configTable();
    for (const leaf of configLeaves()) {
      expect(leaf.doc.length).toBeGreaterThan(5);
      if (leaf.env) expect(table).toContain(`\`${leaf.env}\``);
    }
  });
});

describe('KAFKA_CLIENT', () => {
  it('is kafkajs by default, platformatic on request, and nothing else (exit 2 naming the key)', () => {
    expect(loadConfig({ env: {} }).kafka.client).toBe('kafkajs');
    expect(loadConfig({ env: { KAFKA_CLIENT: 'platformatic' } }).kafka.client).toBe('platformatic');
    const problems = problemsOf(() => loadConfig({ env: { KAFKA_CLIENT: 'rdkafka' } }));
    expect(problems.join('\n')).toMatch(/kafka\.client.*KAFKA_CLIENT="rdkafka"/);
  });

  it('refuses platformatic on a Node that cannot load it, and zstd where node:zlib lacks it', () => {
    expect(platformaticProblems('none', '20.19.4')).toEqual([]);
    expect(platformaticProblems('lz4', '22.18.0')).toEqual([]);
    expect(platformaticProblems('none', '24.6.0')).toEqual([]);
    expect(platformaticProblems('none', '26.0.0')).toEqual([]);
    for (const old of ['18.20.0', '20.9.0', '20.19.3', '21.7.3', '22.17.1', '23.11.0', '24.5.0'])
      expect(platformaticProblems('none', old)).toEqual([
        expect.stringMatching(/^kafka\.client: platformatic needs Node/),
      ]);
    const zstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
    expect(platformaticProblems('zstd', '22.18.0')).toEqual(
      zstd ? [] : [expect.stringMatching(/^kafka\.compression: zstd with KAFKA_CLIENT=platformatic/)],
    );
    const load = () => loadConfig({ env: { KAFKA_CLIENT: 'platformatic', KAFKA_COMPRESSION: 'zstd' } });
    if (zstd) expect(load().kafka.compression).toBe('zstd');
    else expect(problemsOf(load)).toEqual(platformaticProblems('zstd'));
  });
});

describe('per-stream overrides', () => {
  it('rejects unknown streams and settings', () => {
    const cfg = file(
      'ov.json',
      JSON.stringify({
        streams: { overrides: { widgets: {}, admins: { pollMs: 1 }, teams: { pollIntervalMs: -5 } } },
      }),
    );
    const text = problemsOf(() => loadConfig({ env: {}, configFile: cfg })).join('\n');
    expect(text).toMatch(/streams\.overrides\.widgets: unknown stream/);
    expect(text).toMatch(/streams\.overrides\.admins\.pollMs: not a per-stream setting/);
    expect(text).toMatch(/streams\.overrides\.teams\.pollIntervalMs: must be a positive integer/);
  });
});

describe('README configuration table', () => {
  it('is the one generated from the schema (npm run docs:config)', () => {
    const { readFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    const { withTable } = jest.requireActual<typeof import('../../../src/config/readme-table')>(
      '../../../src/config/readme-table',
    );
    const readme = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
    expect(withTable(readme)).toBe(readme);
  });
});

describe('messages a user can act on', () => {
  it('names the variable, the value and where it came from', () => {
    const cfg = file('src.json', JSON.stringify({ intercom: { timeoutMs: -1 } }));
    const problems = problemsOf(() =>
      loadConfig({
        env: { POLL_INTERVAL_MS: 'abc' },
        configFile: cfg,
        overrides: { 'kafka.brokers': ['nohost'] },
        flagNames: { 'kafka.brokers': '--kafka-brokers' },
      }),
    );
    const text = problems.join('\n');
    expect(text).toMatch(
      /streams\.pollIntervalMs: must be a positive integer; got POLL_INTERVAL_MS="abc" \(environment\)/,
    );
    expect(text).toMatch(/intercom\.timeoutMs: .*; got -1 \(config file .*src\.json\)/);
    expect(text).toMatch(/kafka\.brokers: .*; got --kafka-brokers \["nohost"\] \(command line\)/);
  });

  it('suggests the key an unknown one was meant to be', () => {
    const cfg = file(
      'typo.json',
      JSON.stringify({ kafka: { topicPrefx: 'x' }, streams: { KAFKA_BROKERS: 'a:1' }, completelyElse: 1 }),
    );
    const text = problemsOf(() => loadConfig({ env: {}, configFile: cfg })).join('\n');
    expect(text).toMatch(
      /kafka\.topicPrefx \(config file .*\): unknown key; did you mean kafka\.topicPrefix\?/,
    );
    expect(text).toMatch(/streams\.KAFKA_BROKERS .*did you mean kafka\.brokers/);
    expect(text).toMatch(/completelyElse .*: unknown key$/m);
  });

  it('lists errors in streams.overrides beside the others, with suggestions', () => {
    const cfg = file(
      'ov2.json',
      JSON.stringify({
        streams: { overrides: { contact: { pollIntervalMs: 1 }, admins: { pollIntervalMS: 5 } } },
      }),
    );
    const text = problemsOf(() => loadConfig({ env: { HTTP_PORT: 'x' }, configFile: cfg })).join('\n');
    expect(text).toMatch(/http\.port/);
    expect(text).toMatch(/streams\.overrides\.contact: unknown stream; did you mean contacts\?/);
    expect(text).toMatch(
      /streams\.overrides\.admins\.pollIntervalMS: not a per-stream setting; did you mean pollIntervalMs\?/,
    );
  });

  it("takes SASL mechanisms in Kafka's spelling (any case)", () => {
    const env = { KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' };
    expect(loadConfig({ env: { ...env, KAFKA_SASL_MECHANISM: 'PLAIN' } }).kafka.sasl.mechanism).toBe('plain');
    expect(loadConfig({ env: { ...env, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' } }).kafka.sasl.mechanism).toBe(
      'scram-sha-512',
    );
  });

  it('never shows a secret value in a message', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: { KAFKA_SASL_MECHANISM: 'nope', KAFKA_SASL_PASSWORD: 'pw_secret_789', HTTP_PORT: 'x' },
      }),
    );
    expect(problems.join('\n')).not.toMatch(/pw_secret_789/);
  });

  it('accepts -1 (the broker default) or a positive replication factor, nothing else', () => {
    expect(loadConfig({ env: {} }).kafka.replicationFactor).toBe(-1);
    expect(loadConfig({ env: { KAFKA_REPLICATION_FACTOR: '3' } }).kafka.replicationFactor).toBe(3);
    expect(problemsOf(() => loadConfig({ env: { KAFKA_REPLICATION_FACTOR: '0' } })).join()).toMatch(
      /kafka\.replicationFactor: .*-1.*KAFKA_REPLICATION_FACTOR="0"/,
    );
  });
});

describe('fieldPolicy', () => {
  const policy = { contacts: { drop: ['phone', 'custom_attributes.ssn'], hash: ['email'], mask: ['name'] } };
  const secret = 'a-field-policy-secret-0123';

  it('reads the policy from the config file (YAML) or FIELD_POLICY (JSON), and the secret from a file', () => {
    const cfg = file('policy.yaml', 'fieldPolicy:\n  streams:\n    contacts:\n      drop: [phone]\n');
    expect(loadConfig({ env: { CONFIG_FILE: cfg } }).fieldPolicy.streams).toEqual({
      contacts: { drop: ['phone'] },
    });
    const secretFile = file('policy-secret', `${secret}\n`);
    const c = loadConfig({
      env: { FIELD_POLICY: JSON.stringify(policy), FIELD_POLICY_SECRET_FILE: secretFile },
    });
    expect(c.fieldPolicy.streams).toEqual(policy);
    expect(c.fieldPolicy.secret).toBe(secret);
    const printed = JSON.stringify(maskedConfig(c));
    expect(printed).toContain('"secret":"[redacted]"');
    expect(printed).toContain('custom_attributes.ssn');
    expect(printed).not.toContain(secret);
  });

  it('refuses a policy that is not JSON, an unknown stream, a bad path, and a hash without its secret, naming each key', () => {
    const notJson = problemsOf(() => loadConfig({ env: { FIELD_POLICY: '{contacts' } }));
    expect(notJson).toEqual([
      expect.stringMatching(/^fieldPolicy\.streams: must be a JSON object; got FIELD_POLICY=/),
    ]);
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          FIELD_POLICY: JSON.stringify({
            contact: { drop: ['x'] },
            contacts: { drop: ['a..b'], hash: ['email'] },
          }),
        },
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^fieldPolicy\.streams\.contact: unknown stream; did you mean contacts\?/),
      expect.stringMatching(/^fieldPolicy\.streams\.contacts\.drop\[0\]: "a\.\.b" is not a path/),
      expect.stringMatching(/^fieldPolicy\.secret: .*FIELD_POLICY_SECRET/),
    ]);
    const short = problemsOf(() =>
      loadConfig({ env: { FIELD_POLICY: JSON.stringify(policy), FIELD_POLICY_SECRET: 'too-short' } }),
    );
    expect(short).toEqual([expect.stringMatching(/^fieldPolicy\.secret: must be at least 16 characters/)]);
    expect(short.join()).not.toContain('too-short');
  });
});
