import { inspect } from 'node:util';
import { IntercomClient, OAuthTokenProvider, StaticTokenProvider } from '../../../src/intercom';
import { startSimulator } from '../../../src/sim';
import { capturedLogger, collectIds, rejectionOf } from './helpers';

const TOKEN = 'tok_LEAKCHECK_8f3a2c91d7e4';
const CLIENT = { clientId: 'leak-client', clientSecret: 'secret_LEAKCHECK_55aa' };

/** Everything a user or a log pipeline could see of an error. */
const exposed = (error: Error): string =>
  [error.message, String(error), inspect(error, { depth: Infinity }), JSON.stringify(error)].join('\n');

describe('the access token never reaches logs or error messages', () => {
  it('through retries, rate limits, broken bodies, final failures and a 401', async () => {
    const sim = await startSimulator({ seed: 7, size: { contacts: 60 }, token: TOKEN, oauth: CLIENT });
    const { logger, lines } = capturedLogger();
    const seen: string[] = [];
    try {
      const client = new IntercomClient({
        baseUrl: sim.url,
        auth: new StaticTokenProvider(TOKEN),
        logger,
        minBackoffMs: 5,
        maxBackoffMs: 20,
        retries: 3,
        timeoutMs: 1000,
      });
      const match = { path: '/contacts/search' };
      sim.faults.add({ kind: 'status', status: 503, match, times: 1 });
      sim.faults.add({ kind: 'status', status: 429, match, times: 1 });
      sim.faults.add({ kind: 'reset', match, times: 1 });
      sim.faults.add({ kind: 'malformed', match, times: 1 });
      const ids = await collectIds(
        client.searchPages(
          '/contacts/search',
          'data',
          { field: 'created_at', operator: '>', value: 0 },
          { perPage: 20 },
        ),
      );
      expect(ids).toHaveLength(60);

      sim.faults.add({ kind: 'status', status: 500, match: { path: '/admins' }, times: Infinity });
      seen.push(exposed(await rejectionOf(client.unpaginated('/admins', 'admins'))));
      sim.faults.clear();

      // the known token sent where it is not accepted: a 401
      const rejected = await startSimulator({ seed: 7, token: 'tok_other' });
      try {
        const wrong = new IntercomClient({
          baseUrl: rejected.url,
          auth: new StaticTokenProvider(TOKEN),
          logger,
        });
        seen.push(exposed(await rejectionOf(wrong.me())));
      } finally {
        await rejected.close();
      }

      // a refresh token that the endpoint rejects
      const oauth = new OAuthTokenProvider({
        tokenUrl: `${sim.url}/auth/eagle/token`,
        ...CLIENT,
        initial: { accessToken: TOKEN, refreshToken: 'refresh_LEAKCHECK_77', expiresAt: Date.now() - 1 },
        logger,
      });
      seen.push(
        exposed(await rejectionOf(new IntercomClient({ baseUrl: sim.url, auth: oauth, logger }).me())),
      );
    } finally {
      await sim.close();
    }
    const output = [...lines, ...seen].join('\n');
    expect(lines.join('')).toContain('retrying Intercom request'); // the logs were captured
    expect(seen).toHaveLength(3);
    for (const secret of [TOKEN, CLIENT.clientSecret, 'refresh_LEAKCHECK_77'])
      expect(output).not.toContain(secret);
  });
});
