/**
 * Loading the configuration: defaults < config file < environment (and X_FILE secrets) < flags, validated
 * once against the schema and the cross-key rules, every problem in one ConfigError, then frozen. Also
 * the masked view (`config print`) and the README table, both from the schema.
 */
import convict from 'convict';
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import YAML from 'yaml';
import { ConfigError } from '../errors';
import { loadStreamSchemas } from '../normalize/schemas';
import { fieldPolicyProblems } from '../normalize/policy';
import { STREAMS } from '../streams/names';
import { textWithoutCredentials, valueWithoutCredentials } from '../urls';
import { closest } from './suggest';
import { configSchema, streamOverrideProblems, type SensitiveKey, type ValuesOf } from './schema';

convict.addParser([
  { extension: 'json', parse: JSON.parse },
  { extension: ['yml', 'yaml'], parse: YAML.parse },
]);

/** The values of every key, each typed by its format (src/config/schema.ts). */
export type ConfigValues = ValuesOf<typeof configSchema>;

/**
 * The validated, frozen configuration: the value of every key, and where each sensitive value read
 * from a file came from (`secretFiles['intercom.token']`: the path INTERCOM_TOKEN_FILE named), so that
 * nothing reads the environment after loading (a refreshed OAuth token is written back to that file).
 */
export type Config = ConfigValues & {
  readonly secretFiles: { readonly [K in SensitiveKey]?: string };
};

export interface LoadOptions {
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A JSON or YAML file (`--config`); default: env CONFIG_FILE, else none. */
  configFile?: string;
  /** Values from command-line flags, by dotted key; they win over everything else. */
  overrides?: Record<string, unknown>;
  /** The flag that set each override (`kafka.brokers` → `--kafka-brokers`), for messages. */
  flagNames?: Record<string, string>;
}

interface Leaf {
  key: string;
  doc: string;
  env?: string;
  sensitive: boolean;
  default: unknown;
  format: unknown;
}

/** Every leaf of the schema, in declaration order. */
export function configLeaves(schema: object = configSchema, prefix = ''): Leaf[] {
  return Object.entries(schema).flatMap(([name, node]) => {
    const key = prefix ? `${prefix}.${name}` : name;
    if (node && typeof node === 'object' && 'doc' in node && 'default' in node) {
      const n = node as { doc: string; env?: string; sensitive?: boolean; default: unknown; format: unknown };
      return [
        {
          key,
          doc: n.doc,
          env: n.env,
          sensitive: n.sensitive === true,
          default: n.default,
          format: n.format,
        },
      ];
    }
    return configLeaves(node as object, key);
  });
}

function build(env: NodeJS.ProcessEnv) {
  return convict<ConfigValues>(configSchema as never, { env, args: [] });
}

/**
 * Sensitive values may come from files: X_FILE names a file whose trimmed content is X. Setting both
 * is a problem (which one wins would be a guess). Returns the environment with each X set from its
 * file, and the file each key was read from.
 */
function resolveSecretFiles(
  env: NodeJS.ProcessEnv,
  problems: string[],
): { env: NodeJS.ProcessEnv; files: Config['secretFiles'] } {
  const out = { ...env };
  const files: Record<string, string> = {};
  for (const leaf of configLeaves().filter((l) => l.sensitive && l.env)) {
    const fileVar = `${leaf.env}_FILE`;
    const file = env[fileVar];
    if (!file) continue;
    if (env[leaf.env!]) {
      problems.push(`${leaf.key}: both ${leaf.env} and ${fileVar} are set; set only one`);
      continue;
    }
    try {
      out[leaf.env!] = readFileSync(file, 'utf8').trim();
      files[leaf.key] = file;
    } catch (error) {
      problems.push(
        `${leaf.key}: ${fileVar}=${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  return { env: out, files };
}

/**
 * A key of format Object read from the environment is JSON there: a value that is not JSON (or not a JSON
 * object) is a problem naming the key and the variable, and is left out (convict would throw on it).
 */
function jsonEnvProblems(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const leaf of configLeaves().filter((l) => l.format === Object && l.env)) {
    const text = env[leaf.env!];
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(
        `${leaf.key}: must be a JSON object; got ${leaf.env}=${JSON.stringify(text.slice(0, 200))} (environment)`,
      );
      delete out[leaf.env!];
    }
  }
  return out;
}

/** Cross-key rules convict cannot express. */
function crossChecks(c: ConfigValues): string[] {
  const problems: string[] = [];
  const sasl = c.kafka.sasl;
  if (sasl.mechanism !== 'none' && (!sasl.username || !sasl.password)) {
    problems.push(
      `kafka.sasl: mechanism ${sasl.mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or _FILE)`,
    );
  }
  if (c.kafka.client === 'platformatic') problems.push(...platformaticProblems(c.kafka.compression));
  if (Boolean(c.kafka.ssl.certFile) !== Boolean(c.kafka.ssl.keyFile)) {
    problems.push('kafka.ssl: KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together');
  }
  if (Boolean(c.schemaRegistry.certFile) !== Boolean(c.schemaRegistry.keyFile)) {
    problems.push('schemaRegistry: SCHEMA_REGISTRY_CERT_FILE and SCHEMA_REGISTRY_KEY_FILE go together');
  }
  if (Boolean(c.schemaRegistry.username) !== Boolean(c.schemaRegistry.password)) {
    problems.push('schemaRegistry: SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD go together');
  }
  if (Array.isArray(c.streams.enabled) && c.streams.enabled.length === 0)
    problems.push('streams.enabled: no stream enabled (STREAMS)');
  problems.push(...streamOverrideProblems(c.streams.overrides));
  problems.push(
    ...fieldPolicyProblems(
      c.fieldPolicy.streams,
      c.fieldPolicy.secret,
      STREAMS,
      (stream) => loadStreamSchemas(stream).record,
      (name) => closest(name, STREAMS),
    ),
  );
  if (c.sink.contacts.enabled && !c.sink.contacts.topic)
    problems.push(
      'sink.contacts.topic: SINK_CONTACTS_ENABLED=true needs the input topic (SINK_CONTACTS_TOPIC)',
    );
  const attributes = Array.isArray(c.sink.contacts.attributes) ? c.sink.contacts.attributes : [];
  const targets = attributes.map((a) => String(a).split('=').pop());
  const twice = targets.filter((t, i) => targets.indexOf(t) !== i);
  if (twice.length)
    problems.push(`sink.contacts.attributes: ${[...new Set(twice)].join(', ')} mapped more than once`);
  return problems;
}

/**
 * What KAFKA_CLIENT=platformatic needs of this Node: @platformatic/kafka 1.x is ECMAScript-module only,
 * loaded with require() (Node 20.19+; the package asks 20.19.4, 22.18 or 24.6 and later), and compresses
 * zstd with node:zlib's own codec (Node 22.15+).
 */
export function platformaticProblems(compression: string, version = process.versions.node): string[] {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  const least: Record<number, [number, number]> = { 20: [19, 4], 22: [18, 0], 24: [6, 0] };
  const [m, p] = least[major] ?? (major > 24 ? [0, 0] : [Infinity, 0]);
  const problems: string[] = [];
  if (minor < m || (minor === m && patch < p))
    problems.push(
      `kafka.client: platformatic needs Node 20.19.4, 22.18, 24.6 or later; this is ${version} (KAFKA_CLIENT=kafkajs works on it)`,
    );
  if (
    compression === 'zstd' &&
    typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync !== 'function'
  )
    problems.push(
      `kafka.compression: zstd with KAFKA_CLIENT=platformatic needs zstd in node:zlib (Node 22.15 or later); this is ${version}: choose gzip or lz4, or KAFKA_CLIENT=kafkajs`,
    );
  return problems;
}

/** Where the values came from, to tell the user which variable, flag or file to fix. */
interface Sources {
  env: NodeJS.ProcessEnv;
  file?: string;
  fileValues?: unknown;
  overrides: Record<string, unknown>;
  flagNames: Record<string, string>;
}

const LEAVES = new Map(configLeaves().map((l) => [l.key, l]));

/** The file's content as convict will parse it; undefined when it cannot be read (convict says why). */
function parseFile(file: string): unknown {
  try {
    const text = readFileSync(file, 'utf8');
    return /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function valueAt(root: unknown, key: string): unknown {
  let node = root;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * Where a key's value came from, with the value as the user wrote it (never a secret's): the flag, the
 * environment variable (or its _FILE), the config file, or the default.
 */
function describeSource(key: string, src: Sources): string {
  const leaf = LEAVES.get(key);
  const show = (v: unknown) => (leaf?.sensitive ? '(secret)' : JSON.stringify(v));
  if (src.overrides[key] !== undefined)
    return `${src.flagNames[key] ?? key} ${show(src.overrides[key])} (command line)`;
  if (leaf?.env && src.env[leaf.env] !== undefined)
    return leaf.sensitive && src.env[`${leaf.env}_FILE`]
      ? `${leaf.env}_FILE (environment)`
      : `${leaf.env}=${show(src.env[leaf.env])} (environment)`;
  const inFile = src.file ? valueAt(src.fileValues, key) : undefined;
  if (inFile !== undefined) return `${show(inFile)} (config file ${src.file})`;
  return `${show(leaf?.default)} (the default)`;
}

/**
 * A "did you mean" for a key the schema does not know: a near spelling, or the key an env name belongs to.
 */
function suggestKey(unknown: string): string {
  const last = unknown.split('.').pop() ?? unknown;
  const byEnv = [...LEAVES.values()].find((l) => l.env === last || (l.sensitive && `${l.env}_FILE` === last));
  if (byEnv) return `; did you mean ${byEnv.key} (the environment variable's key)?`;
  const near = closest(unknown, [...LEAVES.keys()]);
  return near ? `; did you mean ${near}?` : '';
}

/**
 * convict's messages in the user's terms: each names the key, the reason, and the value with its source;
 * never a secret (sensitive values are `(secret)`) nor the `user:password@` of a URL.
 */
function explain(message: string, src: Sources): string {
  return valueWithoutCredentials(explainRaw(message, src));
}

function explainRaw(message: string, src: Sources): string {
  const unknown = /^configuration param '(.+)' not declared in the schema$/.exec(message);
  if (unknown) {
    const where = src.file ? ` (config file ${src.file})` : '';
    return `${unknown[1]}${where}: unknown key${suggestKey(unknown[1])}`;
  }
  const invalid = /^([\w.]+): (.*?)(?:: value was .*)?$/s.exec(message);
  if (invalid && LEAVES.has(invalid[1])) {
    return `${invalid[1]}: ${invalid[2]}; got ${describeSource(invalid[1], src)}`;
  }
  return message;
}

/**
 * Loads defaults < config file < environment < flags, validates strictly (unknown keys in the file
 * are errors) and returns a deep-frozen Config. Throws one ConfigError listing every problem, each with
 * the variable, flag or file its value came from.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const problems: string[] = [];
  const rawEnv = options.env ?? process.env;
  const secrets = resolveSecretFiles(rawEnv, problems);
  const env = jsonEnvProblems(secrets.env, problems);
  const files = secrets.files;
  const config = build(env);
  const file = options.configFile ?? env.CONFIG_FILE;
  const src: Sources = {
    env: rawEnv,
    file,
    fileValues: file ? parseFile(file) : undefined,
    overrides: options.overrides ?? {},
    flagNames: options.flagNames ?? {},
  };
  if (file) {
    try {
      config.loadFile(file);
    } catch (error) {
      problems.push(`config file ${file}: ${(error as Error).message}`);
    }
  }
  for (const [key, value] of Object.entries(src.overrides)) {
    if (value === undefined) continue;
    try {
      config.set(key as never, value as never);
    } catch (error) {
      problems.push(`${key}: ${(error as Error).message}`);
    }
  }
  // Kafka's own spelling (PLAIN, SCRAM-SHA-512) is as good as ours.
  const mechanism: unknown = config.get('kafka.sasl.mechanism');
  if (typeof mechanism === 'string') config.set('kafka.sasl.mechanism', mechanism.toLowerCase() as never);
  try {
    config.validate({ allowed: 'strict' });
  } catch (error) {
    problems.push(
      ...(error as Error).message
        .split('\n')
        .filter(Boolean)
        .map((m) => explain(m, src)),
    );
  }
  // Every problem in one pass: the cross-key rules too, also when single keys are wrong already.
  problems.push(...crossChecks(config.getProperties()));
  if (problems.length) {
    throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, problems);
  }
  return deepFreeze({ ...config.getProperties(), secretFiles: files });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The configuration with every sensitive value masked, for `config print` and logs. */
export function maskedConfig(config: Config): Record<string, unknown> {
  const { secretFiles: _, ...values } = config;
  const copy = JSON.parse(JSON.stringify(values)) as Record<string, unknown>;
  for (const leaf of configLeaves().filter((l) => l.sensitive)) {
    const path = leaf.key.split('.');
    let node = copy as Record<string, unknown>;
    for (const part of path.slice(0, -1)) node = node[part] as Record<string, unknown>;
    const last = path[path.length - 1];
    if (node[last]) node[last] = '[redacted]';
  }
  return withoutUrlCredentials(copy) as Record<string, unknown>;
}

/** Every string in `value` with the `user:password@` of its URLs removed (a registry URL with basic auth). */
function withoutUrlCredentials(value: unknown): unknown {
  if (typeof value === 'string') return textWithoutCredentials(value);
  if (Array.isArray(value)) return value.map(withoutUrlCredentials);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutUrlCredentials(v)]));
}

/** The README's configuration table, generated from the schema (`npm run docs:config`). */
export function configTable(): string {
  const rows = configLeaves().map((l) => {
    const env = l.env ? `\`${l.env}\`${l.sensitive ? ` / \`${l.env}_FILE\`` : ''}` : '(file only)';
    const def = l.sensitive ? '(secret)' : `\`${JSON.stringify(l.default)}\``;
    return `| \`${l.key}\` | ${env} | ${def} | ${l.doc.replace(/\|/g, '\\|')} |`;
  });
  return ['| key | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
