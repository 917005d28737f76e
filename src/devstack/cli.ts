/**
 * `npm run stack:up | stack:down | stack:status`: the local Kafka + schema registry that tests, the demo
 * and the benchmarks share. `up` prints the environment to point other tools at it.
 */
import { CdcError } from '../errors';
import { findLocalStack, startLocalStack, stopLocalStack } from './local';
import { stackDir } from './paths';

async function main(command: string | undefined): Promise<number> {
  const root = stackDir();
  const say = (line: string): void => console.error(line);
  switch (command) {
    case 'up': {
      const running = findLocalStack(root);
      const info = running ?? (await startLocalStack(root, say));
      console.error(`${info.description}${running ? ' (already running)' : ''}`);
      console.log(`export KAFKA_BROKERS=${info.brokers.join(',')}`);
      console.log(`export SCHEMA_REGISTRY_URL=${info.registryUrl}`);
      return 0;
    }
    case 'down':
      console.error((await stopLocalStack(root)) ? 'local stack stopped' : 'no local stack was running');
      return 0;
    case 'status': {
      const running = findLocalStack(root);
      console.log(running ? running.description : 'no local stack is running');
      return running ? 0 : 1;
    }
    default:
      console.error('usage: stack up | down | status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof CdcError ? `stack: ${error.message}` : error);
    process.exit(error instanceof CdcError ? 2 : 1);
  },
);
