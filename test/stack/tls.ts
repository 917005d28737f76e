import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** PEM files made for one test: a CA, a server certificate for 127.0.0.1 signed by it, and a client one. */
export interface TestPki {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/** Makes a private CA and two certificates it signs (server: SAN 127.0.0.1 and localhost), with openssl. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'cdc-pki-'));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=intercom-cdc test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ]) {
    writeFileSync(f(`${name}.ext`), `${ext}\n`);
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.crt`),
    );
  }
  return {
    dir,
    caFile: f('ca.crt'),
    serverCertFile: f('server.crt'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.crt'),
    clientKeyFile: f('client.key'),
  };
}

/**
 * An HTTPS front on a loopback port that forwards every request to an http `target` (the real registry),
 * as a TLS-terminating ingress does. With `requireClientCert`, only clients with a certificate from the
 * test CA get through (mutual TLS).
 */
export async function startTlsFront(
  pki: TestPki,
  target: string,
  { requireClientCert = false } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = https.createServer(
    {
      cert: readFileSync(pki.serverCertFile),
      key: readFileSync(pki.serverKeyFile),
      ca: readFileSync(pki.caFile),
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
    },
    (req, res) => {
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      req.pipe(forward);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // The registry's path (…/apis/ccompat/v7) behind the front's origin.
    url: `https://127.0.0.1:${port}${upstream.pathname.replace(/\/$/, '')}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
