import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../src/errors';
import { StaticTokenProvider } from '../../../src/intercom/auth/token';
import { tokenSetFrom } from '../../../src/intercom/auth/token-endpoint';
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
