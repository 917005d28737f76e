import { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse } from 'axios';
import { IntercomClient, type IntercomClientOptions } from '../../../src/intercom/client';
import { StaticTokenProvider } from '../../../src/intercom/auth/token';

/** One scripted answer: a status with a body (JSON-encoded unless a string) and headers, or a network failure. */
export type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | { fail: string };

/** What the wire saw of one attempt. */
export interface Sent {
  method: string;
  url: string;
  query: unknown;
  token: string | undefined;
  at: number;
}

/**
 * A clock moved only by the code under test: `sleep` returns at once after moving it, and records the
 * wait. (axios-retry schedules each resend with a real 0 ms timer, so a clock that waits for timers of
 * its own would see the chain stall; this one never waits.)
 */
export class InstantTime {
  now = 0;
  readonly sleeps: number[] = [];
  readonly clock = (): number => this.now;
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.now += ms;
  };
}

/**
 * The innermost link of the client's chain, scripted: each attempt takes the next answer (the last one
 * repeats), after `latencyMs` of the test's clock. Settles as axios's http adapter does: a non-2xx
 * answer rejects with an AxiosError carrying the response.
 */
export class ScriptedWire {
  readonly sent: Sent[] = [];
  /** Called during each exchange, to look at the client while a request is on the wire. */
  onExchange: () => void = () => undefined;

  constructor(
    private readonly time: InstantTime,
    private readonly answers: Answer[] | ((sent: Sent) => Answer),
    private readonly latencyMs = 0,
  ) {}

  readonly adapter: AxiosAdapter = async (config) => {
    const authorization = config.headers.get('Authorization');
    const sent: Sent = {
      method: (config.method ?? 'get').toUpperCase(),
      url: config.url ?? '',
      query: config.params,
      token: typeof authorization === 'string' ? authorization.replace(/^Bearer /, '') : undefined,
      at: this.time.now,
    };
    this.sent.push(sent);
    this.onExchange();
    this.time.now += this.latencyMs;
    const answer =
      typeof this.answers === 'function'
        ? this.answers(sent)
        : this.answers.length > 1
          ? this.answers.shift()!
          : this.answers[0]!;
    if ('fail' in answer) throw new AxiosError(`failed: ${answer.fail}`, answer.fail, config);
    const response: AxiosResponse = {
      status: answer.status,
      statusText: String(answer.status),
      headers: new AxiosHeaders(answer.headers ?? {}),
      config,
      data: typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {}),
      request: {},
    };
    if (answer.status >= 200 && answer.status < 300) return response;
    throw new AxiosError(
      `Request failed with status code ${answer.status}`,
      answer.status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST,
      config,
      {},
      response,
    );
  };
}

/** A client over a scripted wire, on the test's clock, with no jitter unless asked. */
export function scriptedClient(
  time: InstantTime,
  wire: ScriptedWire,
  extra: Partial<IntercomClientOptions> = {},
): IntercomClient {
  return new IntercomClient({
    baseUrl: 'http://intercom.test',
    auth: new StaticTokenProvider('tok_scripted_wire_secret'),
    clock: time.clock,
    sleep: time.sleep,
    random: () => 0.5,
    rateLimitJitterMs: 0,
    transport: wire.adapter,
    ...extra,
  });
}
