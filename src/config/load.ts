import convict from 'convict';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { ConfigError } from '../errors';
import { configSchema, streamOverrideProblems } from './schema';

convict.addParser([
  { extension: 'json', parse: JSON.parse },
  { extension: ['yml', 'yaml'], parse: YAML.parse },
]);

/** The value type of a schema node: a leaf's default type, or an object of its children's. */
type ValueOf<S> = S extends { doc: string; default: infer D }
  ? D
  : { readonly [K in keyof S]: ValueOf<S[K]> };
/** The validated, frozen configuration. */
export type Config = ValueOf<typeof configSchema>;

export interface LoadOptions {
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A JSON or YAML file (`--config`); default: env CONFIG_FILE, else none. */
  configFile?: string;
  /** Values from command-line flags, by dotted key; they win over everything else. */
  overrides?: Record<string, unknown>;
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
  return convict<Config>(configSchema as never, { env, args: [] });
}

/**
 * Sensitive values may come from files: X_FILE names a file whose trimmed content is X. Setting both
 * is a problem (which one wins would be a guess).
 */
function resolveSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const out = { ...env };
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
    } catch (error) {
      problems.push(
        `${leaf.key}: ${fileVar}=${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  return out;
}

/** Cross-key rules convict cannot express. */
function crossChecks(c: Config): string[] {
  const problems: string[] = [];
  const sasl = c.kafka.sasl;
  if (sasl.mechanism !== 'none' && (!sasl.username || !sasl.password)) {
    problems.push(
      `kafka.sasl: mechanism ${sasl.mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or _FILE)`,
    );
  }
  if (Boolean(c.kafka.ssl.certFile) !== Boolean(c.kafka.ssl.keyFile)) {
    problems.push('kafka.ssl: KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together');
  }
  if (Boolean(c.schemaRegistry.certFile) !== Boolean(c.schemaRegistry.keyFile)) {
    problems.push('schemaRegistry: SCHEMA_REGISTRY_CERT_FILE and SCHEMA_REGISTRY_KEY_FILE go together');
  }
  if (Boolean(c.schemaRegistry.username) !== Boolean(c.schemaRegistry.password)) {
    problems.push('schemaRegistry: SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD go together');
  }
  if (c.streams.enabled.length === 0) problems.push('streams.enabled: no stream enabled (STREAMS)');
  problems.push(...streamOverrideProblems(c.streams.overrides));
  if (c.sink.contacts.enabled && !c.sink.contacts.topic)
    problems.push(
      'sink.contacts.topic: SINK_CONTACTS_ENABLED=true needs the input topic (SINK_CONTACTS_TOPIC)',
    );
  const targets = c.sink.contacts.attributes.map((a) => a.split('=').pop());
  const twice = targets.filter((t, i) => targets.indexOf(t) !== i);
  if (twice.length)
    problems.push(`sink.contacts.attributes: ${[...new Set(twice)].join(', ')} mapped more than once`);
  return problems;
}

/**
 * Loads defaults < config file < environment < flags, validates strictly (unknown keys in the file
 * are errors) and returns a deep-frozen Config. Throws one ConfigError listing every problem.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const problems: string[] = [];
  const env = resolveSecretFiles(options.env ?? process.env, problems);
  const config = build(env);
  const file = options.configFile ?? env.CONFIG_FILE;
  if (file) {
    try {
      config.loadFile(file);
    } catch (error) {
      problems.push(`config file ${file}: ${(error as Error).message}`);
    }
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    try {
      config.set(key as never, value as never);
    } catch (error) {
      problems.push(`${key}: ${(error as Error).message}`);
    }
  }
  try {
    config.validate({ allowed: 'strict' });
  } catch (error) {
    problems.push(...(error as Error).message.split('\n').filter(Boolean));
  }
  if (problems.length === 0) problems.push(...crossChecks(config.getProperties()));
  if (problems.length) {
    throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, problems);
  }
  return deepFreeze(config.getProperties());
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
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const leaf of configLeaves().filter((l) => l.sensitive)) {
    const path = leaf.key.split('.');
    let node = copy as Record<string, unknown>;
    for (const part of path.slice(0, -1)) node = node[part] as Record<string, unknown>;
    const last = path[path.length - 1];
    if (node[last]) node[last] = '[redacted]';
  }
  return copy;
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
