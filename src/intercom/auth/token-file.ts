/** The token file that `auth login` writes and every refresh rewrites: its format, reading and writing. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../errors';
import type { TokenSet } from './token';

/**
 * The token file format written by `intercom-cdc auth login` (and by every refresh):
 * `{"token_type":"Bearer","access_token":"…","refresh_token":"…","expires_at":<epoch ms>}`,
 * the last two only when the token endpoint offered them.
 */
export function formatTokenSet(tokens: TokenSet): string {
  const file = {
    token_type: 'Bearer',
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    expires_at: tokens.expiresAt,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

function fileProblem(file: string, what: string): ConfigError {
  return new ConfigError(`INTERCOM_TOKEN_FILE (${file}) ${what}`, ['INTERCOM_TOKEN_FILE']);
}

/** Parses a token file's content: a plain token, or the JSON of {@link formatTokenSet}. */
export function parseTokenFile(content: string, file: string): TokenSet {
  const text = content.trim();
  if (text === '')
    throw fileProblem(file, 'is empty: put the access token in it or run `intercom-cdc auth login`.');
  if (!text.startsWith('{')) {
    if (/\s/.test(text))
      throw fileProblem(file, 'holds more than one word: it must hold only the access token.');
    return { accessToken: text };
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw fileProblem(file, 'starts with "{" but is not valid JSON.');
  }
  const access = json.access_token ?? json.token;
  if (typeof access !== 'string' || access === '') throw fileProblem(file, 'has no "access_token".');
  const refresh = json.refresh_token;
  const expires = json.expires_at;
  return {
    accessToken: access,
    refreshToken: typeof refresh === 'string' && refresh !== '' ? refresh : undefined,
    expiresAt: typeof expires === 'number' && Number.isFinite(expires) ? expires : undefined,
  };
}

/** Reads a token file (see {@link parseTokenFile}); a missing or unreadable file is a ConfigError. */
export async function readTokenFile(file: string): Promise<TokenSet> {
  let content: string;
  try {
    content = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new ConfigError(
      `INTERCOM_TOKEN_FILE (${file}) cannot be read (${code}).`,
      ['INTERCOM_TOKEN_FILE'],
      error,
    );
  }
  return parseTokenFile(content, file);
}

/**
 * Writes the token file readable by its owner only (0600), atomically: a reader sees the old file or
 * the new one, never half of one.
 */
export async function writeTokenFile(file: string, tokens: TokenSet): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await fs.writeFile(temp, formatTokenSet(tokens), { mode: 0o600 });
  await fs.rename(temp, file);
}
