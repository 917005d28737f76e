import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config';

const CONFIG_DIR = path.resolve(__dirname, '../../../config');
const EXAMPLES = path.join(CONFIG_DIR, 'examples');
const secrets = mkdtempSync(path.join(tmpdir(), 'cdc-examples-'));

/** The environment an example's "# Secrets (environment): A, B_FILE" line asks for, with made-up values. */
function secretsEnv(text: string): Record<string, string> {
  const line = /^# Secrets \(environment\): (.+)$/m.exec(text);
  if (!line)
    throw new Error('the example does not say which secrets it needs ("# Secrets (environment): …")');
  const env: Record<string, string> = {};
  for (const name of line[1].split(',').map((s) => s.trim())) {
    if (name.endsWith('_FILE')) {
      const file = path.join(secrets, name);
      writeFileSync(file, `secret-for-${name}\n`);
      env[name] = file;
    } else env[name] = `secret-for-${name}`;
  }
  return env;
}

describe('config/default.json', () => {
  it('is what the schema gives with nothing set', () => {
    const file = JSON.parse(readFileSync(path.join(CONFIG_DIR, 'default.json'), 'utf8')) as unknown;
    // The keys' values; `secretFiles` says where secrets were read from (none here), it is not a key.
    const { secretFiles, ...values } = loadConfig({ env: {} });
    expect(secretFiles).toEqual({});
    expect(file).toEqual(JSON.parse(JSON.stringify(values)));
  });

  it('passes the strict validation as a config file', () => {
    expect(() => loadConfig({ env: {}, configFile: path.join(CONFIG_DIR, 'default.json') })).not.toThrow();
  });
});

describe('config/examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => /\.(ya?ml|json)$/.test(f));

  it('has the examples the README promises', () => {
    expect(files.sort()).toEqual(
      [
        'apicurio.yaml',
        'confluent-cloud.yaml',
        'contact-sink.yaml',
        'field-policy.yaml',
        'minimal.yaml',
        'redpanda.yaml',
        'stream-overrides.yaml',
        'strimzi-mtls.yaml',
        'strimzi-scram.yaml',
      ].sort(),
    );
  });

  it.each(files)('%s loads through the real validation with the secrets it names', (name) => {
    const file = path.join(EXAMPLES, name);
    const env = secretsEnv(readFileSync(file, 'utf8'));
    const config = loadConfig({ env, configFile: file });
    // The example says something: at least the brokers differ from the defaults.
    expect(config.kafka.brokers).not.toEqual(['localhost:9092']);
  });
});
