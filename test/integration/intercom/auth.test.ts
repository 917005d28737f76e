import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import axios from 'axios';
import { exitCodeFor } from '../../../src/errors';
import {
  IntercomClient,
  IntercomError,
  OAuthTokenProvider,
  readTokenFile,
  runAuthorizationCodeFlow,
  StaticTokenProvider,
  type TokenSet,
  writeTokenFile,
} from '../../../src/intercom';
import { startSimulator } from '../../../src/sim';
import { handClock, recordingObserver, rejectionOf } from './helpers';

const CLIENT = { clientId: 'client-abc', clientSecret: 'secret-client-xyz' };

/** Runs `auth login` against the simulator, playing the browser with plain HTTP GETs that follow redirects. */
async function login(simUrl: string, clock: () => number): Promise<{ tokens: TokenSet; printed: string[] }> {
  const printed: string[] = [];
  let browser: Promise<unknown> | undefined;
  const tokens = await runAuthorizationCodeFlow({
    authorizeUrl: `${simUrl}/oauth`,
    tokenUrl: `${simUrl}/auth/eagle/token`,
    ...CLIENT,
    clock,
    timeoutMs: 30_000,
    print: (line) => {
      printed.push(line);
      if (line.startsWith('http')) browser = axios.get<string>(line, { responseType: 'text' });
    },
  });
  const page = (await browser) as { status: number; data: string };
  expect(page.status).toBe(200);
  expect(page.data).toMatch(/authorized/);
  return { tokens, printed };
}

describe('authentication against the simulator (real HTTP)', () => {
  it('a rejected static token ends in a config error (exit code 2) that names the token settings', async () => {
    const sim = await startSimulator({ seed: 3, token: 'tok_the_right_one' });
    try {
      const observer = recordingObserver();
      const client = new IntercomClient({
        baseUrl: sim.url,
        auth: new StaticTokenProvider('tok_a_wrong_one'),
        observer,
      });
      const error = await rejectionOf(client.me());
      expect(error).toBeInstanceOf(IntercomError);
      expect(error).toMatchObject({
        code: 'unauthorized',
        kind: 'config',
        retriable: false,
        status: 401,
        route: '/me',
      });
      expect(exitCodeFor(error)).toBe(2);
      expect(error.message).toContain('INTERCOM_TOKEN ');
      expect(error.message).toContain('INTERCOM_TOKEN_FILE');
      expect(observer.requests).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it('auth login: authorize URL, callback on 127.0.0.1 with state, code exchange; the token works', async () => {
    const sim = await startSimulator({ seed: 4, oauth: CLIENT });
    try {
      const { tokens, printed } = await login(sim.url, Date.now);
      const url = new URL(printed.find((l) => l.startsWith('http')) as string);
      expect(url.searchParams.get('client_id')).toBe(CLIENT.clientId);
      expect(url.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
      expect(new URL(url.searchParams.get('redirect_uri') as string).hostname).toBe('127.0.0.1');
      expect(printed.join('\n')).not.toContain(CLIENT.clientSecret);
      expect(tokens.refreshToken).toBeUndefined();
      const me = await new IntercomClient({
        baseUrl: sim.url,
        auth: new StaticTokenProvider(tokens.accessToken),
      }).me();
      expect(me.type).toBe('admin');
    } finally {
      await sim.close();
    }
  });

  it('auth login refuses a callback whose state does not match', async () => {
    const printed: string[] = [];
    let callback: Promise<unknown> | undefined;
    const flow = runAuthorizationCodeFlow({
      authorizeUrl: 'http://127.0.0.1:9/oauth',
      tokenUrl: 'http://127.0.0.1:9/token',
      ...CLIENT,
      print: (line) => {
        printed.push(line);
        if (!line.startsWith('http')) return;
        const redirect = new URL(line).searchParams.get('redirect_uri') as string;
        callback = axios.get(`${redirect}?code=stolen&state=forged`, { validateStatus: () => true });
      },
    });
    await expect(flow).rejects.toMatchObject({ code: 'oauth_state_mismatch', kind: 'config' });
    await expect(callback).resolves.toMatchObject({ status: 400 });
  });

  it('refreshes ahead of expiry when the token endpoint offers refresh, and persists the new token', async () => {
    const wall = handClock();
    const sim = await startSimulator({
      seed: 5,
      oauth: { ...CLIENT, refresh: true, expiresInSec: 2 },
      wallClock: wall.now,
    });
    try {
      const { tokens } = await login(sim.url, wall.now);
      expect(tokens.refreshToken).toEqual(expect.any(String));
      expect(tokens.expiresAt).toBeGreaterThan(wall.now());
      const persisted: TokenSet[] = [];
      const file = path.join(await mkdtemp(path.join(tmpdir(), 'icdc-auth-')), 'token.json');
      const auth = new OAuthTokenProvider({
        tokenUrl: `${sim.url}/auth/eagle/token`,
        ...CLIENT,
        initial: tokens,
        clock: wall.now,
        persist: async (t) => {
          persisted.push(t);
          await writeTokenFile(file, t);
        },
      });
      const client = new IntercomClient({ baseUrl: sim.url, auth });
      await client.me();
      expect(persisted).toHaveLength(0);
      wall.advance(1500); // inside the last half of the 2 s lifetime
      const observer = recordingObserver();
      await new IntercomClient({ baseUrl: sim.url, auth, observer }).me();
      expect(persisted).toHaveLength(1);
      expect(persisted[0].accessToken).not.toBe(tokens.accessToken);
      await expect(readTokenFile(file)).resolves.toEqual(persisted[0]);
      expect(observer.requests.map((r) => r.status)).toEqual([200]);
    } finally {
      await sim.close();
    }
  });

  it('refreshes once on a 401 when it holds a refresh token, then the request succeeds', async () => {
    const wall = handClock();
    const sim = await startSimulator({
      seed: 6,
      oauth: { ...CLIENT, refresh: true, expiresInSec: 2 },
      wallClock: wall.now,
    });
    try {
      const { tokens } = await login(sim.url, wall.now);
      const persisted: TokenSet[] = [];
      const auth = new OAuthTokenProvider({
        tokenUrl: `${sim.url}/auth/eagle/token`,
        ...CLIENT,
        initial: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }, // expiry unknown
        clock: wall.now,
        persist: async (t) => void persisted.push(t),
      });
      const observer = recordingObserver();
      const client = new IntercomClient({ baseUrl: sim.url, auth, observer });
      wall.advance(3000);
      const me = await client.me();
      expect(me.type).toBe('admin');
      expect(observer.requests.map((r) => r.status)).toEqual([401, 200]);
      expect(persisted).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it('keeps a refreshed token in memory when the token file is read-only, with a warning, and goes on refreshing', async () => {
    const wall = handClock();
    const sim = await startSimulator({
      seed: 7,
      oauth: { ...CLIENT, refresh: true, expiresInSec: 2 },
      wallClock: wall.now,
    });
    try {
      const { tokens } = await login(sim.url, wall.now);
      const warnings: string[] = [];
      const logger = {
        info: () => undefined,
        warn: (_o: unknown, message: string) => warnings.push(message),
      };
      const auth = new OAuthTokenProvider({
        tokenUrl: `${sim.url}/auth/eagle/token`,
        ...CLIENT,
        initial: tokens,
        clock: wall.now,
        persist: async () => {
          throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
        },
        logger: logger as unknown as NonNullable<
          ConstructorParameters<typeof OAuthTokenProvider>[0]['logger']
        >,
      });
      const client = new IntercomClient({ baseUrl: sim.url, auth });
      for (let i = 0; i < 3; i++) {
        wall.advance(1500); // each time inside the last half of the token's lifetime: a refresh
        await expect(client.me()).resolves.toMatchObject({ type: 'admin' });
      }
      expect(warnings).toHaveLength(3);
      expect(warnings[0]).toMatch(/could not be saved to INTERCOM_TOKEN_FILE; it is kept in memory/);
      expect(await auth.getToken()).not.toBe(tokens.accessToken);
    } finally {
      await sim.close();
    }
  });
});
