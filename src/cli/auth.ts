/** `auth login`: the OAuth authorization-code flow, writing the token file. */
import { formatTokenSet, runAuthorizationCodeFlow, writeTokenFile } from '../intercom';
import { ConfigError } from '../errors';
import { loadFromFlags, type CommonFlags } from './context';

/**
 * `auth login`: the OAuth authorization-code flow. Prints the authorize URL, waits on a local callback
 * (127.0.0.1), checks `state`, exchanges the code, and writes the token to --out (a file, mode 0600) or
 * to stdout (`--out -`) for a Kubernetes secret.
 */
export async function authLogin(flags: CommonFlags & { out?: string; port?: number }): Promise<number> {
  const config = loadFromFlags(flags);
  const { clientId, clientSecret, authorizeUrl, tokenUrl } = config.intercom.oauth;
  const missing = [
    !clientId && 'INTERCOM_OAUTH_CLIENT_ID',
    !clientSecret && 'INTERCOM_OAUTH_CLIENT_SECRET(_FILE)',
  ].filter(Boolean) as string[];
  if (missing.length) throw new ConfigError(`auth login needs ${missing.join(' and ')}`, missing);
  if (!flags.out) throw new ConfigError('auth login needs --out FILE (or --out - for stdout)', ['--out']);
  const tokens = await runAuthorizationCodeFlow({
    authorizeUrl,
    tokenUrl,
    clientId,
    clientSecret,
    port: flags.port ?? 0,
    print: (line) => process.stderr.write(`${line}\n`),
  });
  if (flags.out === '-') process.stdout.write(formatTokenSet(tokens));
  else {
    await writeTokenFile(flags.out, tokens);
    process.stderr.write(`token written to ${flags.out}; point INTERCOM_TOKEN_FILE at it\n`);
  }
  return 0;
}
