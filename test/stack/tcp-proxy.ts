import net from 'node:net';

/**
 * How a proxy that is down behaves: `refuse` stops listening (connections are refused, as when the
 * service's process is gone); `reset` accepts and closes at once (a load balancer without a backend).
 */
export type DownMode = 'refuse' | 'reset';

/**
 * A TCP proxy on a loopback port in front of one target, that tests take down and bring back to make
 * a dependency (the schema registry, a broker) unavailable for a while. Taking it down also cuts the
 * connections in flight. `connections` counts the connections it accepted while up.
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private mode: 'up' | DownMode = 'up';
  connections = 0;
  refused = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    public port: number,
  ) {}

  /** Starts forwarding `127.0.0.1:<port>` (a free port unless given) to the target. */
  static async start(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, port);
    await proxy.listen();
    return proxy;
  }

  /** For an http URL: the same URL through this proxy. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString().replace(/\/$/, '');
  }

  get isUp(): boolean {
    return this.mode === 'up';
  }

  async down(mode: DownMode = 'refuse'): Promise<void> {
    this.mode = mode;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (mode === 'refuse') await this.unlisten();
  }

  async up(): Promise<void> {
    this.mode = 'up';
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    this.mode = 'refuse';
    for (const socket of this.sockets) socket.destroy();
    await this.unlisten();
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private unlisten(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.mode !== 'up') {
      this.refused++;
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = net.connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
