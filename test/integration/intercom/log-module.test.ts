import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createIntercomClient } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';

/** The client's log lines, as the app builds it, carry the `module` key once (JSON with a key twice is ambiguous). */
describe('Intercom log lines', () => {
  it('name their module once', async () => {
    let calls = 0;
    const server = http.createServer((_req, res) => {
      calls++;
      // A 503 first: the client logs its retry.
      if (calls === 1) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'admin', id: '1', app: { id_code: 'ws1', region: 'US' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    try {
      const config = loadConfig({
        env: {
          INTERCOM_TOKEN: 'tok',
          INTERCOM_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        },
      });
      const client = createIntercomClient(config, createLogger({ level: 'debug', destination: sink }));
      expect((await client.me()).app.id_code).toBe('ws1');
    } finally {
      server.close();
    }
    const retry = lines.filter((l) => l.includes('retrying Intercom request'));
    expect(retry.length).toBeGreaterThan(0);
    for (const line of retry) expect(line.match(/"module":/g)).toHaveLength(1);
  });
});
