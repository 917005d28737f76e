/** The HTTP endpoints of a running command: liveness, readiness and Prometheus metrics. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics';

export interface Health {
  /** The poll loop is alive (liveness). */
  alive(): boolean;
  /** Kafka, registry and restored state are ready (readiness); the reason when not. */
  ready(): { ok: boolean; reason?: string };
}

/** `/healthz`, `/readyz` and `/metrics` on one port of one address (README, "Operations"). */
export async function startHttp(
  listen: { port: number; host: string },
  health: Health,
  metrics: Metrics,
): Promise<{ port: number; address: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const ok = health.alive();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not alive\n');
    } else if (path === '/readyz') {
      const r = health.ready();
      res
        .writeHead(r.ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end(r.ok ? 'ready\n' : `not ready: ${r.reason ?? ''}\n`);
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    } else {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: try /healthz, /readyz, /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    address: (server.address() as AddressInfo).address,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
