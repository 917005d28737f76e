import http from 'node:http';
import { inspect } from 'node:util';
import { Registry } from '../../../src/kafka/registry';
import { closedPort } from '../../helpers/net';

const SECRET = 'reg_pw_unit_7d1';

describe('Registry: a URL with user:password@', () => {
  it('sends them as basic auth, and never shows them in an error', async () => {
    const seen: (string | undefined)[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(500, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const registry = new Registry({ url: `http://reg-user:${SECRET}@127.0.0.1:${port}/apis/ccompat/v7` });
    try {
      const error = await registry.subjectCount().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'registry_failed' });
      expect(seen).toEqual([`Basic ${Buffer.from(`reg-user:${SECRET}`).toString('base64')}`]);
    } finally {
      registry.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('names the registry without them when it does not answer', async () => {
    const registry = new Registry({
      url: `http://reg-user:${SECRET}@127.0.0.1:${await closedPort()}`,
      retryForMs: 0,
    });
    try {
      const error = await registry.registerSubject('t-value', { type: 'string' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'registry_unreachable' });
      expect((error as Error).message).toMatch(/schema registry at http:\/\/127\.0\.0\.1:\d+ did not answer/);
      expect(inspect(error, { depth: 5 })).not.toMatch(/reg_pw_unit|reg-user/);
    } finally {
      registry.close();
    }
  });
});
