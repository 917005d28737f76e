/**
 * The configuration schema, the one truth of every key: its doc, its format, its default and its
 * environment variable. Keys marked `sensitive` are masked by `config print` and never logged; each
 * sensitive key with an env var X can also be read from the file named by X_FILE. The README's table is
 * generated from this, and so is the type of the loaded configuration (`ValuesOf`, src/config/load.ts's
 * Config): a key's type is what its format allows, and a default that its format does not allow does
 * not compile.
 */
import convict from 'convict';
import { COMPRESSIONS, KAFKA_CLIENTS, SASL_MECHANISMS } from '../kafka/types';
import { REGIONS } from '../intercom/region';
import type { FieldPolicies } from '../normalize/policy';
import { STREAMS, isStreamName, type StreamName } from '../streams/names';
import { closest } from './suggest';

/** A comma-separated list as a flag or an environment variable writes it: items trimmed, empties dropped. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Integer formats convict has built in (a string from the environment becomes a number). */
interface BuiltInFormats {
  nat: number;
  port: number;
}

/** The value each of our named formats stands for: the type of a key that has the format. */
interface NamedFormats {
  'stream-list': readonly StreamName[];
  'broker-list': readonly string[];
  'attribute-list': readonly string[];
  'positive-int': number;
  'replication-factor': number;
  'optional-url': string;
  'connector-name': string;
  'topic-prefix': string;
  'auto-or-nat': number | 'auto';
  'url-path': string;
}

/** A name made of letters, digits, `.`, `_` and `-`, 1 to 100 of them; `what` is the message otherwise. */
function nameFormat(what: string) {
  return (value: unknown) => {
    if (typeof value !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(value)) throw new Error(what);
  };
}

/** How each named format validates a value, and turns a string from the environment into one. */
const FORMATS: {
  [F in keyof NamedFormats]: { validate(value: unknown): void; coerce?(value: string): unknown };
} = {
  'stream-list': {
    validate(value) {
      if (!Array.isArray(value)) throw new Error('must be a list of stream names');
      const unknown = value.filter((v) => !isStreamName(String(v)));
      if (unknown.length)
        throw new Error(`unknown stream(s) ${unknown.join(', ')}; known: ${STREAMS.join(', ')}`);
    },
    coerce: commaList,
  },
  'broker-list': {
    validate(value) {
      if (!Array.isArray(value) || value.length === 0) throw new Error('must list at least one host:port');
      const bad = value.filter((v) => !/^[^\s:,]+:\d{1,5}$/.test(String(v)));
      if (bad.length) throw new Error(`not host:port: ${bad.join(', ')}`);
    },
    coerce: commaList,
  },
  'attribute-list': {
    validate(value) {
      if (!Array.isArray(value)) throw new Error('must be a list of attribute names');
      const bad = value.filter((v) => !/^[^\s=,]+(=[^\s=,]+)?$/.test(String(v)));
      if (bad.length) throw new Error(`not \`name\` or \`input=intercom\`: ${bad.join(', ')}`);
    },
    coerce: commaList,
  },
  'positive-int': {
    validate(value) {
      if (!Number.isInteger(value) || (value as number) <= 0) throw new Error('must be a positive integer');
    },
    coerce: Number,
  },
  'replication-factor': {
    validate(value) {
      if (!Number.isInteger(value) || ((value as number) <= 0 && value !== -1))
        throw new Error("must be a positive integer, or -1 for the broker's default");
    },
    coerce: Number,
  },
  'optional-url': {
    validate(value) {
      if (value === '') return;
      if (typeof value !== 'string' || !/^https?:\/\/[^\s]+$/.test(value))
        throw new Error('must be an http(s) URL or empty');
    },
  },
  'connector-name': { validate: nameFormat('letters, digits, . _ - only') },
  'topic-prefix': { validate: nameFormat('a valid Kafka topic name part') },
  'auto-or-nat': {
    validate(value) {
      if (value !== 'auto' && (!Number.isInteger(value) || (value as number) < 0))
        throw new Error('must be auto or an integer of 0 or more');
    },
    coerce: (value) => (value === 'auto' ? value : Number(value)),
  },
  'url-path': {
    validate(value) {
      if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~/-]{0,200}$/.test(value))
        throw new Error('must be a path starting with / (letters, digits, . _ ~ - /)');
    },
  },
};
convict.addFormats(FORMATS);

/** The per-stream settings `streams.overrides` may give. */
export const PER_STREAM = ['pollIntervalMs', 'reconcileIntervalMs'] as const;
/** `streams.overrides`: per stream, some of its settings (checked by streamOverrideProblems). */
export type StreamOverrides = {
  readonly [S in StreamName]?: { readonly [K in (typeof PER_STREAM)[number]]?: number };
};

/**
 * A key's format: a list of the values it allows, a named format, or a type convict checks (String,
 * Boolean; Object for a structure checked after loading, its type then the default's declared type).
 */
type Format =
  | readonly string[]
  | keyof NamedFormats
  | keyof BuiltInFormats
  | StringConstructor
  | BooleanConstructor
  | ObjectConstructor;

/** One key of the schema. */
export interface KeySpec {
  doc: string;
  format: Format;
  default: unknown;
  env?: string;
  sensitive?: boolean;
}
interface SchemaNode {
  readonly [name: string]: KeySpec | SchemaNode;
}

/** The type of a key's value: what its format allows. */
type ValueOf<K extends KeySpec> = K['format'] extends readonly (infer V)[]
  ? V
  : K['format'] extends keyof NamedFormats
    ? NamedFormats[K['format']]
    : K['format'] extends keyof BuiltInFormats
      ? BuiltInFormats[K['format']]
      : K['format'] extends StringConstructor
        ? string
        : K['format'] extends BooleanConstructor
          ? boolean
          : K['default'];

/** The values of a schema node: each key's value, each group an object of its keys'. */
export type ValuesOf<N> = {
  readonly [K in keyof N]: N[K] extends KeySpec ? ValueOf<N[K]> : ValuesOf<N[K]>;
};

/** The dotted names of the keys whose default is not a value of their format (none, or compiling fails). */
type Misfits<N, P extends string = ''> = {
  [K in keyof N & string]: N[K] extends KeySpec
    ? N[K]['default'] extends ValueOf<N[K]>
      ? never
      : `${P}${K}`
    : Misfits<N[K], `${P}${K}.`>;
}[keyof N & string];

/** The dotted names of the sensitive keys. */
export type SensitiveKey<N = typeof configSchema, P extends string = ''> = {
  [K in keyof N & string]: N[K] extends KeySpec
    ? N[K] extends { sensitive: true }
      ? `${P}${K}`
      : never
    : SensitiveKey<N[K], `${P}${K}.`>;
}[keyof N & string];

export const configSchema = {
  connector: {
    name: {
      doc: 'Connector name: prefix of the transactional id and of state keys. Keep it stable.',
      format: 'connector-name',
      default: 'intercom-cdc',
      env: 'CONNECTOR_NAME',
    },
    workspaceId: {
      doc: 'Intercom workspace (app) id. Empty: read from GET /me at start.',
      format: String,
      default: '',
      env: 'WORKSPACE_ID',
    },
  },
  intercom: {
    token: {
      doc: 'Intercom access token (or one written by `auth login`). Also INTERCOM_TOKEN_FILE.',
      format: String,
      default: '',
      sensitive: true,
      env: 'INTERCOM_TOKEN',
    },
    region: {
      doc: 'Intercom region of the workspace; chooses the API host.',
      format: REGIONS,
      default: 'us',
      env: 'INTERCOM_REGION',
    },
    baseUrl: {
      doc: 'API base URL; overrides the region (proxies, the simulator).',
      format: 'optional-url',
      default: '',
      env: 'INTERCOM_BASE_URL',
    },
    apiVersion: {
      doc: 'Intercom-Version header sent on every request.',
      format: String,
      default: '2.14',
      env: 'INTERCOM_API_VERSION',
    },
    timeoutMs: {
      doc: 'Timeout of one HTTP request, in ms.',
      format: 'positive-int',
      default: 30000,
      env: 'INTERCOM_TIMEOUT_MS',
    },
    maxConcurrency: {
      doc: 'Most requests in flight at once, shared by all streams. Below it the connector keeps as many in flight as the rate limit and the measured latency can use (rate × latency); 4 would cap a 300 ms API at 8 % of the limit.',
      format: 'positive-int',
      default: 100,
      env: 'INTERCOM_MAX_CONCURRENCY',
    },
    maxRequestsPerMinute: {
      doc: 'Self-imposed cap on requests per minute, to leave room for other apps. 0: what Intercom allows.',
      format: 'nat',
      default: 0,
      env: 'INTERCOM_MAX_REQUESTS_PER_MINUTE',
    },
    maxHeaderWaitMs: {
      doc: 'Longest wait taken from a Retry-After or X-RateLimit-Reset header, in ms; a longer one is waited this long, logged at warn once and counted in api_header_waits_capped_total.',
      format: 'positive-int',
      default: 600000,
      env: 'INTERCOM_MAX_HEADER_WAIT_MS',
    },
    oauth: {
      clientId: {
        doc: 'OAuth client id (auth login, and refreshing tokens that expire).',
        format: String,
        default: '',
        env: 'INTERCOM_OAUTH_CLIENT_ID',
      },
      clientSecret: {
        doc: 'OAuth client secret. Also INTERCOM_OAUTH_CLIENT_SECRET_FILE.',
        format: String,
        default: '',
        sensitive: true,
        env: 'INTERCOM_OAUTH_CLIENT_SECRET',
      },
      authorizeUrl: {
        doc: 'OAuth authorize page.',
        format: 'optional-url',
        default: 'https://app.intercom.com/oauth',
        env: 'INTERCOM_OAUTH_AUTHORIZE_URL',
      },
      tokenUrl: {
        doc: 'OAuth token endpoint.',
        format: 'optional-url',
        default: 'https://api.intercom.io/auth/eagle/token',
        env: 'INTERCOM_OAUTH_TOKEN_URL',
      },
    },
  },
  kafka: {
    brokers: {
      doc: 'Kafka bootstrap servers, comma-separated host:port.',
      format: 'broker-list',
      default: ['localhost:9092'],
      env: 'KAFKA_BROKERS',
    },
    clientId: {
      doc: 'Kafka client id.',
      format: String,
      default: 'intercom-cdc',
      env: 'KAFKA_CLIENT_ID',
    },
    topicPrefix: {
      doc: 'Prefix of every topic: <prefix>.<stream>, <prefix>._state, <prefix>._dlq, <prefix>._heartbeat, <prefix>._notifications, <prefix>._signals, <prefix>._webhooks.',
      format: 'topic-prefix',
      default: 'intercom',
      env: 'TOPIC_PREFIX',
    },
    partitions: {
      doc: 'Partitions of change-event topics created by the connector.',
      format: 'positive-int',
      default: 3,
      env: 'KAFKA_TOPIC_PARTITIONS',
    },
    replicationFactor: {
      doc: "Replication factor of topics created by the connector. -1: the broker's default.replication.factor (works on a single broker as on a cluster).",
      format: 'replication-factor',
      default: -1,
      env: 'KAFKA_REPLICATION_FACTOR',
    },
    eventsCleanupPolicy: {
      doc: 'cleanup.policy of change-event topics (compact keeps the latest version of every object).',
      format: ['compact', 'delete', 'compact,delete'],
      default: 'compact',
      env: 'KAFKA_EVENTS_CLEANUP_POLICY',
    },
    compression: {
      doc: 'Compression of the record batches the connector produces (events and state). lz4 and zstd come from codec packages with prebuilt binaries; consumers need the same codec.',
      format: COMPRESSIONS,
      default: 'none',
      env: 'KAFKA_COMPRESSION',
    },
    client: {
      doc: 'Kafka client of the transactional producer, the hot path (change events and state records in one transaction): kafkajs, or platformatic (@platformatic/kafka, less CPU per event: bench/clients.ts; Node 20.19.4+, 22.18+ or 24.6+; zstd only where node:zlib has it, Node 22.15+). Topic admin, state restore, tail, the state commands, the contact sink and check (but for its transactional-id probe) use kafkajs with either.',
      format: KAFKA_CLIENTS,
      default: 'kafkajs',
      env: 'KAFKA_CLIENT',
    },
    ssl: {
      enabled: { doc: 'Connect to Kafka with TLS.', format: Boolean, default: false, env: 'KAFKA_SSL' },
      caFile: {
        doc: 'PEM file of the CA that signed the brokers.',
        format: String,
        default: '',
        env: 'KAFKA_SSL_CA_FILE',
      },
      certFile: {
        doc: 'PEM client certificate (mutual TLS).',
        format: String,
        default: '',
        env: 'KAFKA_SSL_CERT_FILE',
      },
      keyFile: {
        doc: 'PEM client key (mutual TLS).',
        format: String,
        default: '',
        env: 'KAFKA_SSL_KEY_FILE',
      },
    },
    sasl: {
      mechanism: {
        doc: 'SASL mechanism.',
        format: ['none', ...SASL_MECHANISMS],
        default: 'none',
        env: 'KAFKA_SASL_MECHANISM',
      },
      username: { doc: 'SASL username.', format: String, default: '', env: 'KAFKA_SASL_USERNAME' },
      password: {
        doc: 'SASL password. Also KAFKA_SASL_PASSWORD_FILE.',
        format: String,
        default: '',
        sensitive: true,
        env: 'KAFKA_SASL_PASSWORD',
      },
    },
  },
  schemaRegistry: {
    url: {
      doc: 'Confluent-compatible schema registry URL (Apicurio: …/apis/ccompat/v7).',
      format: 'optional-url',
      default: 'http://localhost:8081',
      env: 'SCHEMA_REGISTRY_URL',
    },
    username: {
      doc: 'Registry basic-auth user.',
      format: String,
      default: '',
      env: 'SCHEMA_REGISTRY_USERNAME',
    },
    password: {
      doc: 'Registry basic-auth password. Also SCHEMA_REGISTRY_PASSWORD_FILE.',
      format: String,
      default: '',
      sensitive: true,
      env: 'SCHEMA_REGISTRY_PASSWORD',
    },
    caFile: {
      doc: "PEM file of the CA that signed the registry's certificate (https URLs). Empty: the system's CAs.",
      format: String,
      default: '',
      env: 'SCHEMA_REGISTRY_CA_FILE',
    },
    certFile: {
      doc: 'PEM client certificate for the registry (mutual TLS).',
      format: String,
      default: '',
      env: 'SCHEMA_REGISTRY_CERT_FILE',
    },
    keyFile: {
      doc: 'PEM client key for the registry (mutual TLS).',
      format: String,
      default: '',
      env: 'SCHEMA_REGISTRY_KEY_FILE',
    },
  },
  streams: {
    enabled: {
      doc: 'Streams to capture, comma-separated. Default: all.',
      format: 'stream-list',
      default: [...STREAMS],
      env: 'STREAMS',
    },
    pollIntervalMs: {
      doc: 'Time from the start of one poll of a stream to the start of the next, in ms (a poll that takes longer is followed at once).',
      format: 'positive-int',
      default: 30000,
      env: 'POLL_INTERVAL_MS',
    },
    reconcileIntervalMs: {
      doc: 'Time between two delete reconciliations (full id listing) of a stream, in ms.',
      format: 'positive-int',
      default: 3600000,
      env: 'RECONCILE_INTERVAL_MS',
    },
    overlapMs: {
      doc: 'How far each incremental window reaches back before the watermark (search-index lag), in ms.',
      format: 'nat',
      default: 600000,
      env: 'WINDOW_OVERLAP_MS',
    },
    maxPendingBytes: {
      doc: 'Bytes of change events, dead letters and state records decided and not yet committed, all streams together, before the walks wait for commits (a transaction holds at most a fifth of it): the working memory of the batches.',
      format: 'positive-int',
      default: 67108864,
      env: 'MAX_PENDING_BYTES',
    },
    maxReadBytes: {
      doc: 'Bytes of page answers held, all streams together: pages on the wire (an average page each), prepared and waiting, and being diffed, prefetched pages included. A page request waits while the budget is spent, so larger objects mean fewer pages in flight rather than more memory; the readings made of the pages hold about twice these bytes. Objects read by id (a conversation with its parts) are counted in it until decided, without waiting for room.',
      format: 'positive-int',
      default: 33554432,
      env: 'MAX_READ_BYTES',
    },
    workers: {
      doc: "Worker threads that read what Intercom sends (JSON parsing, canonical JSON and hashing, the typed mapping and its Avro encoding) beside the main thread, which talks to Intercom and Kafka and diffs. auto: one fewer than the CPUs the container may use (its cgroup's cpu.max quota, else the CPUs the process may run on), so that the main thread has a CPU of its own, and at most 2 (the main thread cannot keep more busy); 0 on one CPU. 0: everything on the main thread. Each thread adds about 10–20 MB of RSS.",
      format: 'auto-or-nat',
      default: 'auto' as number | 'auto',
      env: 'CAPTURE_WORKERS',
    },
    completeEmbeddedLists: {
      doc: "Read the rest of a contact's tags, companies, notes and segments where Intercom embeds ten and says has_more (a request per list page, at child priority, once per version: about 50,000 more requests in a first sync of 1,000,000 simulated contacts, bench/RESULTS.md). false: events carry the items Intercom embeds.",
      format: Boolean,
      default: true,
      env: 'COMPLETE_EMBEDDED_LISTS',
    },
    maxClockSkewMs: {
      doc: "How far past the clock an object's updated_at may be and still order it, in ms. A later one (clock skew, a bad import) is decided by content, never moves a watermark, and is counted in future_timestamps_total.",
      format: 'nat',
      default: 600000,
      env: 'MAX_CLOCK_SKEW_MS',
    },
    overrides: {
      doc: 'Per-stream pollIntervalMs / reconcileIntervalMs (config file only), e.g. {"admins":{"pollIntervalMs":600000}}.',
      format: Object,
      default: {} as StreamOverrides,
    },
  },
  fieldPolicy: {
    streams: {
      doc: 'Per stream, the fields to drop, mask or hash in every copy of an object (after, raw, dead letters) and in its content hash: dot paths, e.g. {"contacts":{"drop":["phone","custom_attributes.ssn"],"mask":["name"],"hash":["email"]}} (README "Field policy"). In the environment as JSON.',
      format: Object,
      default: {} as FieldPolicies,
      env: 'FIELD_POLICY',
    },
    secret: {
      doc: "Key of the field policy's hash (HMAC-SHA256), at least 16 characters; needed when a stream hashes a field. Keep it stable: hashed values change with it. Also FIELD_POLICY_SECRET_FILE.",
      format: String,
      default: '',
      sensitive: true,
      env: 'FIELD_POLICY_SECRET',
    },
  },
  includeRaw: {
    doc: 'Put the JSON of each object, every field as the API returned it (but what fieldPolicy drops, masks or hashes), into the event (`raw`; keys sorted).',
    format: Boolean,
    default: true,
    env: 'INCLUDE_RAW',
  },
  errors: {
    tolerance: {
      doc: 'all: a bad object goes to the dead-letter topic; none: it stops the stream.',
      format: ['all', 'none'],
      default: 'all',
      env: 'ERRORS_TOLERANCE',
    },
    maxReadAttempts: {
      doc: "Failed reads of one object in a row (each after the client's retries) before it goes to the dead-letter topic (read_failed) and its walk goes on; reconciliation reads it again later.",
      format: 'positive-int',
      default: 3,
      env: 'ERRORS_MAX_READ_ATTEMPTS',
    },
  },
  heartbeat: {
    intervalMs: {
      doc: "A heartbeat on <prefix>._heartbeat at least this often, in ms, in the transactions of the state (each stream's committed watermark, the workspace, the connector and its version), in a small transaction of its own when nothing else commits. 0: none.",
      format: 'nat',
      default: 60000,
      env: 'HEARTBEAT_INTERVAL_MS',
    },
  },
  notifications: {
    progressIntervalMs: {
      doc: "Least time between two IN_PROGRESS notifications of one stream's first sync on <prefix>._notifications, in ms (one is sent as slices complete, at most this often).",
      format: 'nat',
      default: 60000,
      env: 'NOTIFICATIONS_PROGRESS_INTERVAL_MS',
    },
  },
  signals: {
    enabled: {
      doc: 'Read signals on <prefix>._signals (consumer group <connector.name>-signals) and execute them: re-snapshots of streams, ids or an updated_at window, acknowledged on <prefix>._notifications (README, "Signals"). false: the topic is created and not read.',
      format: Boolean,
      default: true,
      env: 'SIGNALS_ENABLED',
    },
  },
  completeness: {
    enabled: {
      doc: "After each first sync and reconciliation, compare the count Intercom reports (total_count) with the state's, and each conversation's counted parts with those its GET carried; published as a notification and as metrics (one request per stream).",
      format: Boolean,
      default: true,
      env: 'COMPLETENESS_ENABLED',
    },
  },
  sink: {
    contacts: {
      enabled: {
        doc: 'Also run the contact sink inside `run` (one process, one Intercom client: capture and sink share the rate limit).',
        format: Boolean,
        default: false,
        env: 'SINK_CONTACTS_ENABLED',
      },
      topic: {
        doc: 'Topic of contact upserts the sink applies to Intercom (required by `sink contacts`).',
        format: String,
        default: '',
        env: 'SINK_CONTACTS_TOPIC',
      },
      format: {
        doc: 'Encoding of the input: avro (schema registry wire format) or json.',
        format: ['avro', 'json'],
        default: 'avro',
        env: 'SINK_CONTACTS_FORMAT',
      },
      groupId: {
        doc: 'Consumer group of the sink. Empty: <connector.name>-sink-contacts.',
        format: String,
        default: '',
        env: 'SINK_CONTACTS_GROUP_ID',
      },
      dlqTopic: {
        doc: 'Dead-letter topic of rejected input records. Empty: <prefix>._sink_contacts_dlq.',
        format: String,
        default: '',
        env: 'SINK_CONTACTS_DLQ_TOPIC',
      },
      attributes: {
        doc: 'Custom attributes the sink writes, comma-separated: `name` (same name in Intercom) or `input=intercom`.',
        format: 'attribute-list',
        default: [] as readonly string[],
        env: 'SINK_CONTACTS_ATTRIBUTES',
      },
      unmappedAttributes: {
        doc: 'An input custom attribute not in SINK_CONTACTS_ATTRIBUTES: reject (record to the dead-letter topic) or ignore.',
        format: ['reject', 'ignore'],
        default: 'reject',
        env: 'SINK_CONTACTS_UNMAPPED_ATTRIBUTES',
      },
      defaultRole: {
        doc: 'Role of a created contact when the record has none (Intercom requires one).',
        format: ['user', 'lead'],
        default: 'user',
        env: 'SINK_CONTACTS_DEFAULT_ROLE',
      },
      sessionTimeoutMs: {
        doc: "Consumer session timeout: how soon a crashed sink's partitions move to another member (broker bounds: group.min/max.session.timeout.ms).",
        format: 'positive-int',
        default: 30000,
        env: 'SINK_CONTACTS_SESSION_TIMEOUT_MS',
      },
      concurrency: {
        doc: 'Partitions the sink processes at once (records of one partition stay in order).',
        format: 'positive-int',
        default: 2,
        env: 'SINK_CONTACTS_CONCURRENCY',
      },
      maxRetryMs: {
        doc: 'How long one input record is retried after transient failures (429, 5xx, timeouts, the registry away), in ms; then it goes to the dead-letter topic as retries_exhausted (ERRORS_TOLERANCE=none: the sink stops).',
        format: 'positive-int',
        default: 900000,
        env: 'SINK_CONTACTS_MAX_RETRY_MS',
      },
      maxArchivesPerHour: {
        doc: 'Most contacts the sink archives in any hour; one more stops the sink (exit 2) rather than archive on. 0: no limit.',
        format: 'nat',
        default: 1000,
        env: 'SINK_CONTACTS_MAX_ARCHIVES_PER_HOUR',
      },
    },
  },
  webhooks: {
    enabled: {
      doc: 'Also run the webhook receiver inside `run` (one workspace; `intercom-cdc webhooks` runs it on its own, for several replicas behind one URL). See "Webhooks".',
      format: Boolean,
      default: false,
      env: 'WEBHOOKS_ENABLED',
    },
    port: {
      doc: "Port the webhook receiver listens on (HTTPS is the ingress's business).",
      format: 'port',
      default: 8090,
      env: 'WEBHOOKS_PORT',
    },
    host: {
      doc: 'Address the webhook receiver listens on.',
      format: String,
      default: '0.0.0.0',
      env: 'WEBHOOKS_HOST',
    },
    path: {
      doc: "Path Intercom posts notifications to (the subscription's URL ends with it); HEAD on it answers 200.",
      format: 'url-path',
      default: '/webhooks',
      env: 'WEBHOOKS_PATH',
    },
    clientSecret: {
      doc: "The Intercom app's client secret, which signs every notification (X-Hub-Signature). Empty: INTERCOM_OAUTH_CLIENT_SECRET. Also WEBHOOKS_CLIENT_SECRET_FILE.",
      format: String,
      default: '',
      sensitive: true,
      env: 'WEBHOOKS_CLIENT_SECRET',
    },
    previousClientSecret: {
      doc: 'The client secret before a rotation, also accepted until removed. Also WEBHOOKS_PREVIOUS_CLIENT_SECRET_FILE.',
      format: String,
      default: '',
      sensitive: true,
      env: 'WEBHOOKS_PREVIOUS_CLIENT_SECRET',
    },
    maxBodyBytes: {
      doc: 'Largest notification body accepted, in bytes; a longer one is answered 413.',
      format: 'positive-int',
      default: 1048576,
      env: 'WEBHOOKS_MAX_BODY_BYTES',
    },
    topic: {
      doc: 'The topic the webhook receiver files notifications in and `run` reads hints from. Empty: <prefix>._webhooks. Several workspaces (each with its own TOPIC_PREFIX) share one receiver by naming the same topic: its records are keyed by workspace, and each connector reads its own.',
      format: String,
      default: '',
      env: 'WEBHOOKS_TOPIC',
    },
    hints: {
      doc: '`run` reads the webhooks topic (WEBHOOKS_TOPIC) and reads each notified object of its workspace at once (contacts, conversations, companies, tickets), beside the polls; experimental. See "Webhooks".',
      format: Boolean,
      default: false,
      env: 'WEBHOOKS_HINTS',
    },
    ackTimeoutMs: {
      doc: 'How long Kafka has to acknowledge a notification (acks=all) before the answer is 503, in ms (Intercom gives up on an answer after 5 s and sends again).',
      format: 'positive-int',
      default: 3000,
      env: 'WEBHOOKS_ACK_TIMEOUT_MS',
    },
  },
  http: {
    port: {
      doc: 'Port of /healthz, /readyz and /metrics. 0: none.',
      format: 'port',
      default: 8080,
      env: 'HTTP_PORT',
    },
    host: {
      doc: 'Address /healthz, /readyz and /metrics listen on: 0.0.0.0 (every interface, what the kubelet and Prometheus reach on a pod), 127.0.0.1 (this host only, e.g. behind a sidecar), or another local address.',
      format: String,
      default: '0.0.0.0',
      env: 'HTTP_HOST',
    },
  },
  log: {
    level: {
      doc: 'Log level.',
      format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      env: 'LOG_LEVEL',
    },
  },
} as const satisfies SchemaNode;

/**
 * Every default is a value of its key's format: a misfit's name would not be `never`, and this would not
 * compile.
 */
const defaultsFit: [Misfits<typeof configSchema>] extends [never] ? true : Misfits<typeof configSchema> =
  true;
void defaultsFit;

/** Problems of `streams.overrides` (convict can only check that it is an object). */
export function streamOverrideProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['streams.overrides: must be an object'];
  const problems: string[] = [];
  for (const [stream, override] of Object.entries(value)) {
    if (!isStreamName(stream)) {
      const near = closest(stream, STREAMS);
      problems.push(
        `streams.overrides.${stream}: unknown stream${near ? `; did you mean ${near}?` : ''} (known: ${STREAMS.join(', ')})`,
      );
      continue;
    }
    if (typeof override !== 'object' || override === null || Array.isArray(override)) {
      problems.push(`streams.overrides.${stream}: must be an object of pollIntervalMs / reconcileIntervalMs`);
      continue;
    }
    for (const [key, v] of Object.entries(override as object)) {
      if (!(PER_STREAM as readonly string[]).includes(key)) {
        const near = closest(key, PER_STREAM);
        problems.push(
          `streams.overrides.${stream}.${key}: not a per-stream setting${near ? `; did you mean ${near}?` : ''} (${PER_STREAM.join(', ')})`,
        );
      } else if (!Number.isInteger(v) || (v as number) <= 0) {
        problems.push(
          `streams.overrides.${stream}.${key}: must be a positive integer; got ${JSON.stringify(v)}`,
        );
      }
    }
  }
  return problems;
}
