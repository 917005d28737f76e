import { startSimulator, type RunningSimulator } from '../../src/sim';

type StartOptions = NonNullable<Parameters<typeof startSimulator>[0]>;

/**
 * The Intercom simulator of a test file, the set-up most integration tests share: started before the
 * file's tests (its beforeAll runs before theirs, so their own set-up may use it), closed after them (its
 * afterAll after theirs, once whatever talked to it is stopped). Call it at the top level of the file.
 * `options` is called when the simulator starts. The result stands for the running simulator: its
 * properties are read from it once it runs (reading one before throws).
 */
export function useSimulator(
  options: () => StartOptions | Promise<StartOptions>,
  behaviour: { clearFaultsAfterEach?: boolean } = {},
): RunningSimulator {
  let running: RunningSimulator | undefined;
  beforeAll(async () => {
    running = await startSimulator(await options());
  });
  if (behaviour.clearFaultsAfterEach) afterEach(() => running?.faults.clear());
  afterAll(async () => {
    await running?.close();
  });
  return new Proxy({} as RunningSimulator, {
    get(_target, property) {
      if (!running) throw new Error(`the simulator is not running yet (reading ${String(property)})`);
      const value: unknown = Reflect.get(running, property);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(running) : value;
    },
  });
}

/**
 * For tests that each start their own simulator (each with its own options): the returned function
 * starts one, and every simulator it started is closed after the test.
 */
export function simulatorsPerTest(): (options?: StartOptions) => Promise<RunningSimulator> {
  const started: RunningSimulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return async (options = {}) => {
    const sim = await startSimulator(options);
    started.push(sim);
    return sim;
  };
}
