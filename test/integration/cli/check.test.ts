import { startCli } from '../../stack/cli';
import { freePort, stackEnv, uniqueName } from '../../stack/env';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({
  seed: 4,
  size: { contacts: 10, admins: 2, teams: 1, tags: 2 },
  token: 'tok_check',
}));

interface Row {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

async function check(args: string[], env: Record<string, string>) {
  const run = startCli(['check', ...args], env, { stdoutLimit: Infinity });
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** `--json` output: the rows, then the summary. */
function rowsOf(stdout: string): Row[] {
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row & { summary?: unknown });
  expect(lines[lines.length - 1].summary).toBeDefined();
  return lines.slice(0, -1);
}

describe('check', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    const { brokers, registryUrl } = stackEnv();
    env = {
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      INTERCOM_BASE_URL: sim.url,
      INTERCOM_TOKEN: 'tok_check',
      TOPIC_PREFIX: uniqueName('check'),
      CONNECTOR_NAME: uniqueName('check'),
      STREAMS: 'admins,teams,tags',
      HTTP_PORT: '0',
    };
  });

  it('passes against a working stack: replication factor, transactional id, a row per stream, JSON lines', async () => {
    const { code, stdout, stderr } = await check(['--json'], env);
    expect(code).toBe(0);
    const rows = rowsOf(stdout);
    const byName = new Map(rows.map((r) => [r.check, r]));
    for (const name of [
      'intercom: token and workspace',
      'intercom: read admins',
      'intercom: read tags',
      'kafka: cluster',
      'kafka: topics',
      'kafka: replication factor',
      'kafka: transactional id',
      'registry: reachable',
    ])
      expect(byName.get(name)?.status).toBe('ok');
    expect(byName.get('kafka: replication factor')?.detail).toMatch(
      /-1 \(the broker's default.*fits 1 broker/,
    );
    expect(byName.get('kafka: transactional id')?.detail).toContain(`${env.CONNECTOR_NAME}-`);
    expect(rows.filter((r) => r.check.startsWith('registry: ') && r.check.endsWith('-value'))).toHaveLength(
      3,
    );
    // No library logging mixed into the output.
    expect(stderr).not.toMatch(/"level"/);
  });

  it('fails the replication factor a single broker cannot hold, naming the setting', async () => {
    const { code, stdout } = await check([], { ...env, KAFKA_REPLICATION_FACTOR: '3' });
    expect(code).toBe(2);
    expect(stdout).toMatch(
      /^FAIL\s+kafka: replication factor\s+replication factor 3 asked, the cluster has 1 broker\(s\).*KAFKA_REPLICATION_FACTOR/m,
    );
  });

  it('with nothing running and no token: one failed row per cause, every row printed, no library logs', async () => {
    const [kafkaPort, registryPort] = [await freePort(), await freePort()];
    const { code, stdout, stderr } = await check(['--json'], {
      ...env,
      INTERCOM_TOKEN: '',
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${registryPort}`,
    });
    expect(code).toBe(2);
    const rows = rowsOf(stdout);
    expect(rows.map((r) => `${r.check}: ${r.status}`).sort()).toEqual(
      ['intercom: token: fail', 'kafka: cluster: fail', 'registry: reachable: fail'].sort(),
    );
    expect(rows.find((r) => r.check === 'intercom: token')?.detail).toMatch(/INTERCOM_TOKEN/);
    expect(stderr).not.toMatch(/"level"/);
  });

  it('never shows a registry password in the URL: not in the table, not in --json, not in an error', async () => {
    const secret = 'reg_pw_S3CRET_91';
    const withAuth = (url: string): string => url.replace('://', `://check-user:${secret}@`);
    const up = await check(['--json'], { ...env, SCHEMA_REGISTRY_URL: withAuth(env.SCHEMA_REGISTRY_URL) });
    const reachable = rowsOf(up.stdout).find((r) => r.check === 'registry: reachable');
    expect(reachable?.status).toBe('ok');
    expect(reachable?.detail).toContain(new URL(env.SCHEMA_REGISTRY_URL).host);
    const table = await check([], { ...env, SCHEMA_REGISTRY_URL: withAuth(env.SCHEMA_REGISTRY_URL) });
    expect(table.stdout).toMatch(/registry: reachable/);
    const down = await check(['--json'], {
      ...env,
      SCHEMA_REGISTRY_URL: withAuth(`http://127.0.0.1:${await freePort()}`),
    });
    expect(rowsOf(down.stdout).find((r) => r.check === 'registry: reachable')?.status).toBe('fail');
    for (const out of [up, table, down])
      expect(`${out.stdout}${out.stderr}`).not.toMatch(/reg_pw_S3CRET|check-user/);
  });
});
