/** The schema registry client: registration with compatibility checks, retried while the registry is away. */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import http from 'node:http';
import https from 'node:https';
import { CdcError } from '../errors';
import { isRetriable, retry } from '../retry';
import { credentialsOf, textWithoutCredentials, withoutCredentials } from '../urls';

/** PEM contents for TLS to the registry: a private CA, and a client certificate for mutual TLS. */
export interface RegistryTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface RegistrySettings {
  /**
   * The registry's base URL. A `user:password@` in it is taken as basic auth when `username` is empty,
   * and is never shown: errors name the URL without it.
   */
  url: string;
  username?: string;
  password?: string;
  /** TLS material (https URLs); without `ca` the system's CAs are trusted. */
  tls?: RegistryTls;
  /** How long one REST call may take, in ms (default 30 s). */
  timeoutMs?: number;
  /**
   * How long `registerSubject` keeps trying while the registry is unreachable or answers 5xx, in ms
   * (exponential backoff from 1 s to 30 s, with jitter). Default 10 minutes: a connector that starts
   * while the registry is down waits, not ready, instead of crash-looping. 0: fail at once.
   */
  retryForMs?: number;
  /** Told before each wait (logs). */
  onRetry?: (e: { subject: string; attempt: number; delayMs: number; error: Error }) => void;
  sleep?: (ms: number) => Promise<void>;
  /** The clock of that deadline (tests); default Date.now. */
  clock?: () => number;
}

const DEFAULT_RETRY_FOR_MS = 10 * 60_000;

const JSON_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * The schema registry, through the Confluent REST API only (works with Confluent, Karapace, Redpanda
 * and Apicurio's ccompat API). Registration and decoding go through @kafkajs/confluent-schema-registry;
 * subject config and compatibility checks are two plain REST calls.
 */
export class Registry {
  readonly client: SchemaRegistry;
  private readonly base: string;
  private readonly authHeader?: string;
  /** One agent for both paths (our REST calls and the library's): the same TLS material, kept-alive sockets. */
  private readonly agent: http.Agent;

  constructor(private readonly settings: RegistrySettings) {
    this.base = withoutCredentials(settings.url);
    const auth = settings.username
      ? { username: settings.username, password: settings.password ?? '' }
      : credentialsOf(settings.url);
    this.agent = this.base.startsWith('https:')
      ? new https.Agent({ keepAlive: true, ...settings.tls })
      : new http.Agent({ keepAlive: true });
    this.client = new SchemaRegistry({ host: this.base, agent: this.agent, ...(auth ? { auth } : {}) });
    if (auth)
      this.authHeader = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    let res: { status: number; text: string };
    try {
      res = await send(this.agent, method, `${this.base}${path}`, {
        headers: {
          'content-type': JSON_TYPE,
          accept: JSON_TYPE,
          ...(this.authHeader ? { authorization: this.authHeader } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.settings.timeoutMs ?? 30_000,
      });
    } catch (error) {
      throw registryConnectError(this.base, `${method} ${path}`, error);
    }
    const text = res.text;
    let json: unknown;
    try {
      json = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      json = undefined; // a proxy's HTML error page: the status says what happened
    }
    if (res.status === 401 || res.status === 403) {
      throw new CdcError(
        `schema registry refused ${method} ${path} (${res.status}). Check SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD.`,
        { code: 'registry_unauthorized', kind: 'config' },
      );
    }
    return { status: res.status, json };
  }

  /** How many subjects the registry holds: proves it answers, and that the credentials are accepted. */
  async subjectCount(): Promise<number> {
    const { status, json } = await this.call('GET', '/subjects');
    if (status >= 300 || !Array.isArray(json))
      throw new CdcError(`schema registry: GET /subjects answered ${status}`, {
        code: 'registry_failed',
        kind: status >= 500 ? 'transient' : 'system',
      });
    return json.length;
  }

  /** Why this schema is not BACKWARD compatible with the subject's latest version; undefined if it is (or the subject is new). */
  async incompatibility(subject: string, schema: object): Promise<string | undefined> {
    const path = `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`;
    const { status, json } = await this.call('POST', path, { schema: JSON.stringify(schema) });
    if (status === 404) return undefined;
    const body = json as { is_compatible?: boolean; messages?: string[]; message?: string };
    if (status >= 300)
      throw new CdcError(`schema registry: ${path} answered ${status} ${body?.message ?? ''}`, {
        code: 'registry_failed',
        kind: status >= 500 ? 'transient' : 'system',
      });
    return body.is_compatible === false
      ? body.messages?.length
        ? body.messages.join('; ')
        : 'not compatible'
      : undefined;
  }

  /**
   * Registers a subject's schema (TopicNameStrategy) with BACKWARD compatibility set explicitly on the
   * subject (Apicurio answers the global rule where Confluent answers 404). An incompatible schema is a
   * config error: consumers could no longer read the topic.
   */
  async registerSubject(subject: string, schema: object): Promise<number> {
    const retryFor = this.settings.retryForMs ?? DEFAULT_RETRY_FOR_MS;
    try {
      // Unreachable or 5xx: the registry may come back (a restart, a rolling update). Anything else
      // (incompatible schema, 401/403, 4xx) fails at once.
      return await retry(() => this.registerOnce(subject, schema), {
        policy: { minMs: 1_000, maxMs: 30_000, deadlineMs: retryFor },
        sleep: this.settings.sleep,
        clock: this.settings.clock,
        onRetry: ({ attempt, delayMs, error }) =>
          this.settings.onRetry?.({ subject, attempt, delayMs, error }),
      });
    } catch (error) {
      if (!isRetriable(error) || retryFor === 0) throw error;
      // The wait the caller allowed is over: trying again is no longer this call's to do.
      throw new CdcError(
        `schema registry unavailable for ${Math.round(retryFor / 1000)} s while registering ${subject}: ${error.message}`,
        { code: 'registry_unavailable', kind: 'transient', retriable: false, cause: error },
      );
    }
  }

  private async registerOnce(subject: string, schema: object): Promise<number> {
    const problem = await this.incompatibility(subject, schema);
    if (problem) {
      throw new CdcError(
        `the schema for subject ${subject} is not BACKWARD compatible with the registered version: ${problem}. ` +
          'Keep the registered schema, or publish to a new TOPIC_PREFIX.',
        { code: 'schema_incompatible', kind: 'config' },
      );
    }
    const config = await this.call('PUT', `/config/${encodeURIComponent(subject)}`, {
      compatibility: COMPATIBILITY.BACKWARD,
    });
    if (config.status >= 300) {
      throw new CdcError(`schema registry: setting BACKWARD on ${subject} answered ${config.status}`, {
        code: 'registry_failed',
        kind: config.status >= 500 ? 'transient' : 'system',
      });
    }
    try {
      const { id } = await this.client.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      );
      return id;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === undefined && tlsSetting(error)) throw registryConnectError(this.base, 'register', error);
      const message = textWithoutCredentials((error as Error).message);
      throw new CdcError(`schema registry: registering ${subject} failed: ${message}`, {
        code: 'registry_failed',
        kind: status === undefined || status >= 500 ? 'transient' : 'system',
        cause: error,
      });
    }
  }

  /** Decodes a Confluent wire-format message (tail, tests). */
  decode(buffer: Buffer): Promise<unknown> {
    return this.client.decode(buffer);
  }

  /** Closes the kept-alive sockets (a command that ends, a test). */
  close(): void {
    this.agent.destroy();
  }
}

/**
 * One HTTP(S) request through `agent`; resolves with the status and body text, rejects when no answer came.
 */
function send(
  agent: http.Agent,
  method: string,
  url: string,
  o: { headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.request(url, { method, agent, headers: o.headers, timeout: o.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Node's codes for a server certificate that the trusted CAs do not vouch for. */
const UNTRUSTED_CERT = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);

/**
 * The setting a TLS failure calls for: the CA file when the registry's certificate is not trusted, the
 * client certificate when the registry asked for one it did not get or accept; undefined otherwise.
 */
function tlsSetting(error: unknown): string | undefined {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  for (const link of [e, e.cause]) {
    if (!link) continue;
    if (link.code && UNTRUSTED_CERT.has(link.code))
      return `SCHEMA_REGISTRY_CA_FILE (schemaRegistry.caFile): the registry's certificate is not trusted (${link.code})`;
    if (
      /certificate required|bad certificate|unknown ca|CERTIFICATE_REQUIRED|BAD_CERTIFICATE/i.test(
        `${link.code ?? ''} ${link.message ?? ''}`,
      )
    )
      return 'SCHEMA_REGISTRY_CERT_FILE and SCHEMA_REGISTRY_KEY_FILE (mutual TLS): the registry refused the client certificate, or got none';
  }
  return undefined;
}

/**
 * Why the registry could not be reached: a TLS failure is a configuration error naming the setting to
 * fix (retrying cannot help); anything else is transient (the registry may come back).
 */
function registryConnectError(base: string, what: string, error: unknown): CdcError {
  const setting = tlsSetting(error);
  if (setting) {
    return new CdcError(`schema registry at ${base}: TLS failed on ${what}; check ${setting}`, {
      code: 'registry_tls',
      kind: 'config',
      cause: error,
    });
  }
  const message = textWithoutCredentials((error as Error).message);
  return new CdcError(`schema registry at ${base} did not answer ${what}: ${message}`, {
    code: 'registry_unreachable',
    kind: 'transient',
    cause: error,
  });
}
