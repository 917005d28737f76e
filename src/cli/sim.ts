import { startLiveMutations, startSimulator } from '../sim';

interface SimFlags {
  port: string;
  host: string;
  seed: string;
  contacts: string;
  conversations?: string;
  companies?: string;
  token?: string;
  changesPerSecond: string;
  rateLimit?: string;
  searchLagMs: string;
  timezone: string;
}

const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));

/** `sim`: the Intercom API simulator on real time, until Ctrl-C. */
export async function simCommand(flags: SimFlags): Promise<number> {
  const sim = await startSimulator({
    port: Number(flags.port),
    host: flags.host,
    seed: Number(flags.seed),
    size: Object.fromEntries(
      Object.entries({
        contacts: int(flags.contacts),
        conversations: int(flags.conversations),
        companies: int(flags.companies),
      }).filter(([, v]) => v !== undefined),
    ),
    token: flags.token,
    clock: { mode: 'real' },
    rateLimit: flags.rateLimit ? { limit: Number(flags.rateLimit) } : null,
    searchLagMs: Number(flags.searchLagMs),
    timezone: flags.timezone,
  });
  const perSecond = Number(flags.changesPerSecond);
  const stopLive = perSecond > 0 ? startLiveMutations(sim, { perSecond }) : () => undefined;
  process.stderr.write(
    `simulator listening on ${sim.url} (seed ${flags.seed}, ${flags.contacts} contacts)\n`,
  );
  process.stderr.write(
    `try: curl -H 'Authorization: Bearer any' -H 'Intercom-Version: 2.14' ${sim.url}/me\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopLive();
  await sim.close();
  return 0;
}
