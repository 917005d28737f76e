import { startCli } from '../../stack/cli';
import { freePort, stackEnv, uniqueName } from '../../stack/env';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({
  seed: 3,
  size: { contacts: 30, admins: 5, teams: 2, tags: 4 },
  token: 'tok_cli_secret',
}));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a user runs it: a child process, its whole output and its exit code. */
async function cli(
  args: string[],
  env: Record<string, string>,
  onStart?: (kill: (s: NodeJS.Signals) => void) => void,
): Promise<Result> {
  const run = startCli(args, env, { stdoutLimit: Infinity });
  onStart?.((signal) => run.child.kill(signal));
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('the CLI, run as a user would', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    const { brokers, registryUrl } = stackEnv();
    env = {
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      INTERCOM_BASE_URL: sim.url,
      INTERCOM_TOKEN: 'tok_cli_secret',
      TOPIC_PREFIX: uniqueName('cli'),
      CONNECTOR_NAME: uniqueName('cli'),
      STREAMS: 'admins,teams,tags',
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_TOPIC_PARTITIONS: '1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
    };
  });

  it('check prints a table and exits 0 when all is fine, 2 with a bad token (never printing it)', async () => {
    const ok = await cli(['check'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok\s+intercom: token and workspace/m);
    expect(ok.stdout).toMatch(/^ok\s+kafka: cluster/m);
    expect(ok.stdout).toMatch(/all checks passed/);

    const bad = await cli(['check'], { ...env, INTERCOM_TOKEN: 'tok_wrong_secret' });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/^FAIL\s+intercom: token and workspace.*INTERCOM_TOKEN/m);
    expect(bad.stdout + bad.stderr).not.toContain('tok_wrong_secret');
  });

  it('backfill publishes r events and tail decodes them', async () => {
    const backfill = await cli(['backfill', '--stream', 'admins', '--force'], env);
    expect(backfill.code).toBe(0);
    expect(backfill.stdout).toMatch(/backfill admins: read 5, published 5 r events, 0 dead letters/);

    const tail = await cli(['tail', '--stream', 'admins', '--max', '5', '--idle-ms', '20000'], env);
    expect(tail.code).toBe(0);
    const lines = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: { id: string }; value: { op: string; after: { id: string } } });
    expect(lines.map((l) => l.value.op)).toEqual(['r', 'r', 'r', 'r', 'r']);
    expect(lines.map((l) => l.key.id).sort()).toEqual(sim.truth.ids('admins').sort());
    expect(lines.every((l) => l.value.after.id === l.key.id)).toBe(true);
  });

  it('exits 2 listing every bad setting', async () => {
    const bad = await cli(['run'], { ...env, KAFKA_BROKERS: 'no-port', STREAMS: 'admins,widgets' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/kafka\.brokers/);
    expect(bad.stderr).toMatch(/widgets/);
  });

  it('run serves /readyz and /metrics with the documented series during a sync, and SIGTERM exits 0', async () => {
    const port = await freePort();
    let kill: (s: NodeJS.Signals) => void = () => undefined;
    const done = cli(
      ['run'],
      { ...env, HTTP_PORT: String(port), POLL_INTERVAL_MS: '500', CONNECTOR_NAME: uniqueName('cli-run') },
      (k) => (kill = k),
    );
    const base = `http://127.0.0.1:${port}`;
    let metrics = '';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const ready = await fetch(`${base}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready === 200) {
        metrics = await (await fetch(`${base}/metrics`)).text();
        if (/intercom_cdc_events_total\{stream="tags",op="r"\} 4/.test(metrics)) break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await fetch(`${base}/healthz`).then((r) => r.status)).toBe(200);
    expect(metrics).toMatch(/intercom_cdc_events_total\{stream="admins",op="r"\} 5/);
    expect(metrics).toMatch(/intercom_cdc_events_total\{stream="tags",op="r"\} 4/);
    expect(metrics).toMatch(/intercom_cdc_api_requests_total\{route="[^"]+",status="200"\} [1-9]/);
    expect(metrics).toMatch(/intercom_cdc_transactions_total\{result="committed"\} [1-9]/);
    expect(metrics).toMatch(/intercom_cdc_state_objects\{stream="admins"\} 5/);
    expect(metrics).toMatch(/intercom_cdc_api_rate_limit_remaining \d+/);
    expect(metrics).toMatch(/intercom_cdc_poll_duration_seconds_count\{stream="teams",result="ok"\} [1-9]/);
    expect(metrics).not.toContain('tok_cli_secret');
    kill('SIGTERM');
    expect((await done).code).toBe(0);
  });
});
