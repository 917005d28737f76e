import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { CdcError } from '../errors';

export interface RegistrySettings {
  url: string;
  username?: string;
  password?: string;
  /**
   * How long `registerSubject` keeps trying while the registry is unreachable or answers 5xx, in ms
   * (exponential backoff from 1 s to 30 s, with jitter). Default 10 minutes: a connector that starts
   * while the registry is down waits, not ready, instead of crash-looping. 0: fail at once.
   */
  retryForMs?: number;
  /** Told before each wait (logs). */
  onRetry?: (e: { subject: string; attempt: number; delayMs: number; error: Error }) => void;
  sleep?: (ms: number) => Promise<void>;
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

  constructor(private readonly settings: RegistrySettings) {
    this.base = settings.url.replace(/\/$/, '');
    const auth = settings.username
      ? { username: settings.username, password: settings.password ?? '' }
      : undefined;
    this.client = new SchemaRegistry({ host: this.base, ...(auth ? { auth } : {}) });
    if (auth)
      this.authHeader = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          'content-type': JSON_TYPE,
          accept: JSON_TYPE,
          ...(this.authHeader ? { authorization: this.authHeader } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new CdcError(
        `schema registry at ${this.base} did not answer ${method} ${path}: ${(error as Error).message}`,
        {
          code: 'registry_unreachable',
          kind: 'transient',
          cause: error,
        },
      );
    }
    const text = await res.text();
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

  /** Why this schema is not BACKWARD compatible with the subject's latest version; undefined if it is (or the subject is new). */
  async incompatibility(subject: string, schema: object): Promise<string | undefined> {
    const path = `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`;
    const { status, json } = await this.call('POST', path, { schema: JSON.stringify(schema) });
    if (status === 404) return undefined;
    const body = json as { is_compatible?: boolean; messages?: string[]; message?: string };
    if (status >= 300)
      throw new CdcError(`schema registry: ${path} answered ${status} ${body?.message ?? ''}`, {
        code: 'registry_failed',
        kind: 'transient',
        retriable: status >= 500,
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
    const sleep = this.settings.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    const deadline = Date.now() + retryFor;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.registerOnce(subject, schema);
      } catch (error) {
        // Unreachable or 5xx: the registry may come back (a restart, a rolling update). Anything else
        // (incompatible schema, 401/403, 4xx) fails at once.
        if (!(error instanceof CdcError) || !error.retriable) throw error;
        const delayMs = Math.round(Math.min(30_000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 4));
        if (Date.now() + delayMs > deadline) throw error;
        this.settings.onRetry?.({ subject, attempt, delayMs, error });
        await sleep(delayMs);
      }
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
        kind: 'transient',
        retriable: config.status >= 500,
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
      throw new CdcError(`schema registry: registering ${subject} failed: ${(error as Error).message}`, {
        code: 'registry_failed',
        kind: 'transient',
        retriable: status === undefined || status >= 500,
        cause: error,
      });
    }
  }

  /** Decodes a Confluent wire-format message (tail, tests). */
  decode(buffer: Buffer): Promise<unknown> {
    return this.client.decode(buffer);
  }
}
