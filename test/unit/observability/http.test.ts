import { loadConfig } from '../../../src/config';
import { startHttp } from '../../../src/observability/http';
import { Metrics } from '../../../src/observability/metrics';

const health = { alive: () => true, ready: () => ({ ok: false, reason: 'the state restore' }) };

describe('the HTTP endpoints', () => {
  it('listen on the configured address (HTTP_HOST), every interface by default', async () => {
    const byDefault = loadConfig({ env: {} }).http;
    expect(byDefault.host).toBe('0.0.0.0');
    const local = loadConfig({ env: { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' } }).http;
    const server = await startHttp(local, health, new Metrics());
    try {
      expect(server.address).toBe('127.0.0.1');
      const readyz = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect({ status: readyz.status, text: await readyz.text() }).toEqual({
        status: 503,
        text: 'not ready: the state restore\n',
      });
    } finally {
      await server.close();
    }
  });
});
