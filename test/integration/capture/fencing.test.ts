import { buildApp } from '../../../src/app';
import { CdcError, exitCodeFor } from '../../../src/errors';
import { silentLogger } from '../../../src/logger';
import { testConfig } from './harness';
import { KAFKA_CLIENTS } from '../../helpers/clients';
import { useSimulator } from '../../helpers/simulator';

describe.each(KAFKA_CLIENTS)('one instance per workspace (KAFKA_CLIENT=%s)', (client) => {
  const sim = useSimulator(() => ({ seed: 11, size: { contacts: 50, admins: 4 } }));

  it('a second instance for the same workspace fences the first (exit code 3)', async () => {
    const config = testConfig(sim.url, { STREAMS: 'admins', KAFKA_CLIENT: client });
    const first = await buildApp(config, silentLogger());
    await first.engine.poll('admins');
    const second = await buildApp(config, silentLogger());
    sim.mutate.update('admins', sim.truth.ids('admins')[0]);
    const error = await first.engine.poll('admins').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CdcError);
    expect((error as CdcError).kind).toBe('fenced');
    expect(exitCodeFor(error)).toBe(3);
    await expect(second.engine.poll('admins')).resolves.toMatchObject({ stream: 'admins', published: 1 });
    await first.close();
    await second.close();
  });
});
