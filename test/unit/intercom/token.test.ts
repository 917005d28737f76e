import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../src/errors';
import { StaticTokenProvider } from '../../../src/intercom/auth/token';
import { checkTokenUrl, requestTokens, tokenSetFrom } from '../../../src/intercom/auth/token-endpoint';
import { OAuthTokenProvider } from '../../../src/intercom/auth/oauth-provider';
import {
  formatTokenSet,
  parseTokenFile,
  readTokenFile,
  writeTokenFile,
} from '../../../src/intercom/auth/token-file';

describe('token files', () => {
  it('reads a plain token, trimmed', () => {
    expect(parseTokenFile('  dG9rOjEyMw==\n', 'f')).toEqual({ accessToken: 'dG9rOjEyMw==' });
  });

  it('round-trips the JSON written by auth login', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'icdc-token-'));
    const file = path.join(dir, 'token.json');
    const tokens = { accessToken: 'acc', refreshToken: 'ref', expiresAt: 1_700_000_000_000 };
    await writeTokenFile(file, tokens);
    await expect(readTokenFile(file)).resolves.toEqual(tokens);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
      token_type: 'Bearer',
      access_token: 'acc',
    });
  });

  it('reads JSON holding only a token', () => {
    expect(parseTokenFile(formatTokenSet({ accessToken: 'a' }), 'f')).toEqual({
      accessToken: 'a',
      refreshToken: undefined,
      expiresAt: undefined,
    });
  });

  it.each([
    ['', /is empty/],
    ['two words', /only the access token/],
    ['{"access_token":', /not valid JSON/],
    ['{"refresh_token":"r"}', /no "access_token"/],
  ])('rejects %j with a config error naming INTERCOM_TOKEN_FILE', (content, message) => {
    let error: unknown;
    try {
      parseTokenFile(content, '/run/secrets/token');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('INTERCOM_TOKEN_FILE (/run/secrets/token)');
    expect((error as Error).message).not.toContain('"r"');
  });

  it('reports a missing file as a config error', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'icdc-token-'));
    await expect(readTokenFile(path.join(dir, 'absent'))).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringContaining('ENOENT'),
    });
    await writeFile(path.join(dir, 'empty'), '');
    await expect(readTokenFile(path.join(dir, 'empty'))).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('token responses', () => {
  it('reads Intercom’s shape (token, no expiry)', () => {
    expect(tokenSetFrom({ token_type: 'Bearer', token: 't', access_token: 't' }, 1000)).toEqual({
      accessToken: 't',
      refreshToken: undefined,
      expiresAt: undefined,
    });
  });

  it('reads refresh_token and expires_in', () => {
    expect(tokenSetFrom({ access_token: 'a', refresh_token: 'r', expires_in: 3600 }, 1000)).toEqual({
      accessToken: 'a',
      refreshToken: 'r',
      expiresAt: 3_601_000,
    });
  });

  it('keeps the previous refresh token when a refresh answer carries none', () => {
    expect(tokenSetFrom({ access_token: 'a2', expires_in: 60 }, 0, 'r1')).toMatchObject({
      refreshToken: 'r1',
      expiresAt: 60_000,
    });
  });

  it('rejects an answer without an access token', () => {
    expect(() => tokenSetFrom({ refresh_token: 'secret-refresh' }, 0)).toThrow(/no access token/);
  });
});

describe('StaticTokenProvider', () => {
  it('hands out its token and never claims a refresh', async () => {
    const provider = new StaticTokenProvider('tok');
    await expect(provider.getToken()).resolves.toBe('tok');
    await expect(provider.onUnauthorized()).resolves.toBe(false);
  });

  it('refuses an empty token with a config error naming the setting', () => {
    expect(() => new StaticTokenProvider(' ')).toThrow(/INTERCOM_TOKEN/);
  });
});

describe('the token request: https only (http to loopback), no redirect followed', () => {
  const endpointAt = (tokenUrl: string) => ({ tokenUrl, clientId: 'cid', clientSecret: 'csecret_unit_4' });
  const grant = { kind: 'refresh_token', refreshToken: 'rt_unit_4' } as const;

  it('refuses plain http to any host but loopback, naming the setting, before sending anything', async () => {
    for (const url of ['http://auth.example.com/token', 'http://10.0.0.7/token', 'ftp://127.0.0.1/x']) {
      const error = await requestTokens(endpointAt(url), grant, Date.now).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/intercom\.oauth\.tokenUrl \(INTERCOM_OAUTH_TOKEN_URL\)/);
    }
    for (const url of [
      'https://api.intercom.io/auth/eagle/token',
      'http://localhost:1/t',
      'http://127.8.0.1/t',
      'http://[::1]:9/t',
    ])
      expect(() => checkTokenUrl(url)).not.toThrow();
    expect(
      () =>
        new OAuthTokenProvider({
          tokenUrl: 'http://auth.example.com/token',
          clientId: 'cid',
          clientSecret: 'csecret_unit_4',
          initial: { accessToken: 'at', refreshToken: 'rt' },
        }),
    ).toThrow(/INTERCOM_OAUTH_TOKEN_URL/);
  });

  it('does not follow a redirect: the secret never reaches where it points', async () => {
    const reached: string[] = [];
    const elsewhere = http.createServer((req, res) => {
      reached.push(req.url ?? '');
      res.end('{"access_token":"stolen"}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/collect`;
    const redirecting = http.createServer((_req, res) => res.writeHead(307, { location: target }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/token`;
      const error = await requestTokens(endpointAt(url), grant, Date.now).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/307, a redirect.*INTERCOM_OAUTH_TOKEN_URL/);
      expect((error as Error).message).not.toMatch(/csecret_unit_4|rt_unit_4/);
      expect(reached).toEqual([]);
    } finally {
      await Promise.all([elsewhere, redirecting].map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});
