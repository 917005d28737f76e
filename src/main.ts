#!/usr/bin/env node
/**
 * intercom-cdc: the entry point. Parses the command line, runs one command (src/cli; each builds what it
 * uses through the composition root, src/app.ts, and src/kafka's factories), and maps its outcome to the
 * documented exit codes: 0 clean stop, 1 unexpected failure, 2 configuration or authorization error,
 * 3 fenced by another instance.
 */
import { Command, CommanderError, Option } from 'commander';
import { authLogin } from './cli/auth';
import { backfillCommand } from './cli/backfill';
import { signalCommand } from './cli/signal';
import { checkCommand } from './cli/check';
import { configPrint } from './cli/config-print';
import type { CommonFlags } from './cli/context';
import { demoCommand } from './cli/demo';
import {
  CAPTURE_FLAGS,
  KAFKA_FLAGS,
  natural,
  nonNegative,
  portNumber,
  positiveInt,
  withFlags,
} from './cli/options';
import { runCommand } from './cli/run';
import { schemasCommand } from './cli/schemas';
import { simCommand } from './cli/sim';
import { sinkContactsCommand, type SinkFlags } from './cli/sink';
import { stateReset, stateShow } from './cli/state';
import { tailCommand } from './cli/tail';
import { webhooksCommand, type WebhooksFlags } from './cli/webhooks';
import { CdcError, ConfigError, ExitCode, exitCodeFor } from './errors';
import { packageVersion } from './version';

type Handler<T> = (flags: T) => Promise<number>;

let exitCode = 0;
function action<T>(handler: Handler<T>) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    exitCode = await handler(cmd.opts() as T);
  };
}

export function buildProgram(): Command {
  const program = new Command('intercom-cdc')
    .description('Stream an Intercom workspace into Kafka as Avro change events, exactly once.')
    .version(packageVersion(), '-V, --version', 'print the version')
    // Usage errors (unknown option, missing argument, bad number) throw instead of exiting 1: see main.
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nExamples:\n  intercom-cdc run\n  intercom-cdc check\n  intercom-cdc tail --stream contacts --max 10\n  intercom-cdc backfill --stream contacts --since 2024-05-01\n  intercom-cdc demo',
    );

  withFlags(program.command('run').description('capture changes until SIGTERM (the service)'), [
    ...CAPTURE_FLAGS,
    'httpPort',
  ])
    .addHelpText(
      'after',
      '\nExample:\n  INTERCOM_TOKEN_FILE=/secrets/token KAFKA_BROKERS=kafka:9092 SCHEMA_REGISTRY_URL=http://registry:8081 intercom-cdc run',
    )
    .action(action<CommonFlags>(runCommand));

  withFlags(
    program.command('backfill').description('re-read a stream and publish r events for what differs'),
    CAPTURE_FLAGS.filter((f) => f !== 'streams'),
  )
    .requiredOption('--stream <stream>', 'the stream to backfill')
    .option('--since <date>', 'only objects updated since this date (ISO 8601)')
    .option('--force', 'publish every object, even unchanged ones')
    .addHelpText(
      'after',
      '\nExample:\n  intercom-cdc backfill --stream contacts --since 2024-05-01\nWhile a connector runs, `intercom-cdc signal` asks it to do this instead (README, "Signals").',
    )
    .action(action(backfillCommand));

  withFlags(
    program
      .command('signal')
      .description('ask the running connector to snapshot streams, ids or a window again'),
    [...KAFKA_FLAGS, 'schemaRegistryUrl'],
  )
    .requiredOption('--stream <streams>', 'the stream(s) to snapshot again, comma-separated')
    .option('--ids <ids>', 'only these ids (of one stream), comma-separated')
    .option('--ids-file <file>', 'only the ids in this file, one a line')
    .option('--since <date>', 'only objects updated at or after this date (ISO 8601)')
    .option('--until <date>', 'only objects updated at or before this date (a date: its end)')
    .option('--id <id>', 'the signal id (default: a new UUID); an id the connector knows is ignored')
    .option('--no-wait', 'exit once the signal is written')
    .addOption(
      new Option('--timeout-ms <ms>', 'how long to wait for the acknowledgement (default 60000)').argParser(
        positiveInt,
      ),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  intercom-cdc signal --stream contacts --since 2024-05-01 --until 2024-05-02\n  intercom-cdc signal --stream contacts --ids 6543a1,6543a2',
    )
    .action(action(signalCommand));

  const state = program.command('state').description('inspect or reset the connector state');
  withFlags(state.command('show').description('watermarks and object counts per stream'), KAFKA_FLAGS)
    .addHelpText('after', '\nExample:\n  intercom-cdc state show')
    .action(action<CommonFlags>(stateShow));
  withFlags(
    state.command('reset').description('forget a stream so the next run snapshots it again'),
    KAFKA_FLAGS,
  )
    .requiredOption('--stream <stream>', 'the stream to reset')
    .option('--workspace <id>', 'workspace id (WORKSPACE_ID)')
    .option('--yes', 'confirm')
    .addHelpText('after', '\nExample:\n  intercom-cdc state reset --stream tags --workspace abc123 --yes')
    .action(action(stateReset));

  const auth = program.command('auth').description('authentication');
  withFlags(auth.command('login').description('OAuth authorization-code flow; writes the token'), [
    'config',
    'logLevel',
  ])
    .requiredOption('--out <file>', 'where to write the token (- for stdout)')
    .addOption(
      new Option('--port <port>', 'local callback port (default: any free port)').argParser(portNumber),
    )
    .addHelpText(
      'after',
      '\nExample:\n  INTERCOM_OAUTH_CLIENT_ID=… INTERCOM_OAUTH_CLIENT_SECRET_FILE=… intercom-cdc auth login --out token.json',
    )
    .action(action(authLogin));

  withFlags(
    program.command('check').description('check Intercom, Kafka and the registry; prints a table'),
    CAPTURE_FLAGS,
  )
    .option('--json', 'one JSON object per check, as each finishes')
    .option(
      '--completeness',
      "also compare, per stream, the count Intercom reports with the state's, and name the conversations over the 500-part cap",
    )
    .addHelpText(
      'after',
      '\nExample:\n  intercom-cdc check\n  intercom-cdc check --json\n  intercom-cdc check --completeness',
    )
    .action(action(checkCommand));

  const schemas = program.command('schemas').description('the Avro schemas of the streams');
  for (const a of ['print', 'register', 'check'] as const) {
    withFlags(
      schemas.command(a).description(`${a} the key and value schemas`),
      a === 'print'
        ? ['config', 'topicPrefix', 'streams']
        : ['config', 'logLevel', 'topicPrefix', 'streams', 'schemaRegistryUrl'],
    )
      .option('--stream <stream>', 'one stream only')
      .addHelpText('after', `\nExample:\n  intercom-cdc schemas ${a} --stream contacts`)
      .action(action((flags: CommonFlags & { stream?: string }) => schemasCommand(a, flags)));
  }

  withFlags(program.command('tail').description("decode a stream's committed events to JSON lines"), [
    'config',
    'logLevel',
    'kafkaBrokers',
    'schemaRegistryUrl',
    'topicPrefix',
  ])
    .requiredOption('--stream <stream>', 'the stream')
    .addOption(new Option('--max <n>', 'stop after n events').argParser(positiveInt))
    .addOption(new Option('--idle-ms <ms>', 'stop after this long without an event').argParser(positiveInt))
    .addOption(new Option('--no-from-beginning', 'only new events'))
    .addHelpText('after', '\nExample:\n  intercom-cdc tail --stream contacts --max 5')
    .action(action(tailCommand));

  const sink = program.command('sink').description('apply a Kafka topic to Intercom');
  withFlags(
    sink
      .command('contacts')
      .description('create, update, archive and unarchive contacts from a topic of upserts'),
    [...KAFKA_FLAGS, 'schemaRegistryUrl', 'intercomBaseUrl', 'httpPort'],
  )
    .option('--topic <topic>', 'input topic (SINK_CONTACTS_TOPIC)')
    .option('--format <format>', 'avro or json (SINK_CONTACTS_FORMAT)')
    .addHelpText(
      'after',
      '\nExample:\n  INTERCOM_TOKEN_FILE=/secrets/token SINK_CONTACTS_ATTRIBUTES=plan,seats=team_size intercom-cdc sink contacts --topic crm.contacts --format json',
    )
    .action(action<SinkFlags>(sinkContactsCommand));

  withFlags(
    program
      .command('webhooks')
      .description("receive Intercom's signed webhooks and file them in Kafka (<prefix>._webhooks)"),
    ['config', 'logLevel', 'kafkaBrokers', 'topicPrefix', 'httpPort'],
  )
    .addOption(
      new Option('--port <port>', 'port notifications are posted to (WEBHOOKS_PORT)').argParser(portNumber),
    )
    .addHelpText(
      'after',
      '\nExample:\n  WEBHOOKS_CLIENT_SECRET_FILE=/secrets/client-secret KAFKA_BROKERS=kafka:9092 intercom-cdc webhooks --port 8090',
    )
    .action(action<WebhooksFlags>(webhooksCommand));

  program
    .command('sim')
    .description('start the Intercom API simulator')
    .option('--port <port>', 'port', '4010')
    .option('--host <host>', 'interface', '127.0.0.1')
    .option('--seed <n>', 'workspace seed', '1')
    .option('--contacts <n>', 'contacts', '1000')
    .option('--conversations <n>', 'conversations')
    .option('--companies <n>', 'companies')
    .option('--parts <n>', 'average parts per conversation (default 6)')
    .option('--token <token>', 'accept only this token')
    .option('--changes-per-second <n>', 'live changes per second (0: none)', '0')
    .option('--rate-limit <n>', 'requests per 10 s window (default: unlimited)')
    .option('--search-lag-ms <ms>', 'search-index lag', '0')
    .option('--timezone <tz>', 'workspace timezone', 'UTC')
    .option('--latency-ms <ms>', 'median delay of each answer, real ms (0: none)', '0')
    .option('--latency-p99-ms <ms>', '99th percentile of that delay, log-normal tail (0: no tail)', '0')
    .option('--search-latency-ms <ms>', 'median delay of search pages (0: as --latency-ms)', '0')
    .option('--search-latency-p99-ms <ms>', '99th percentile for search pages (0: the GET tail shape)', '0')
    .option('--webhook-url <url>', 'post a signed webhook notification of each change to this URL')
    .option(
      '--webhook-secret <secret>',
      'the client secret that signs them (default: env SIM_WEBHOOK_SECRET)',
    )
    .addOption(
      new Option('--webhook-delay-ms <ms>', 'every delivery waits this long')
        .argParser(nonNegative)
        .default(0),
    )
    .addOption(
      new Option('--webhook-jitter-ms <ms>', 'plus a random 0..ms each (reorders deliveries)')
        .argParser(nonNegative)
        .default(0),
    )
    .addOption(
      new Option('--webhook-duplicate-rate <r>', 'share of notifications delivered twice (0 to 1)')
        .argParser(nonNegative)
        .default(0),
    )
    .addOption(
      new Option('--webhook-forged-rate <r>', 'share followed by a forged notification (0 to 1)')
        .argParser(nonNegative)
        .default(0),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  intercom-cdc sim --seed 1 --contacts 100000 --changes-per-second 5\n  intercom-cdc sim --latency-ms 300 --latency-p99-ms 1500 --search-latency-ms 900\n  SIM_WEBHOOK_SECRET=s3cret intercom-cdc sim --changes-per-second 5 --webhook-url http://127.0.0.1:8090/webhooks --webhook-jitter-ms 2000 --webhook-duplicate-rate 0.1',
    )
    .action(action(simCommand));

  program
    .command('demo')
    .description('local stack + simulator + connector, with a live view; Ctrl-C stops everything')
    .addOption(
      new Option('--contacts <n>', 'contacts in the simulated workspace').argParser(natural).default(2000),
    )
    .addOption(
      new Option('--changes-per-second <n>', 'live changes per second').argParser(nonNegative).default(5),
    )
    .addOption(
      new Option('--latency-ms <ms>', "median delay of the simulator's answers, as Intercom's (0: none)")
        .argParser(nonNegative)
        .default(300),
    )
    .addOption(
      new Option('--duration-s <s>', 'stop by itself after this many seconds (0: run until Ctrl-C)')
        .argParser(natural)
        .default(0),
    )
    .addHelpText('after', '\nExample:\n  npm run demo')
    .action(action(demoCommand));

  const config = program.command('config').description('configuration');
  withFlags(config.command('print').description('the effective configuration, secrets masked'), [
    ...CAPTURE_FLAGS,
    'httpPort',
  ])
    .addHelpText('after', '\nExample:\n  intercom-cdc config print --config config/examples/minimal.yaml')
    .action(action<CommonFlags>(configPrint));
  return program;
}

function report(error: unknown): number {
  // commander printed the usage error (or the help, or the version) already.
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.config;
  const code = exitCodeFor(error);
  if (error instanceof ConfigError) {
    process.stderr.write(`intercom-cdc: ${error.message}\n`);
  } else if (error instanceof CdcError) {
    process.stderr.write(`intercom-cdc: ${error.kind} error (${error.code}): ${error.message}\n`);
  } else {
    process.stderr.write(`intercom-cdc: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  return code;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .then(
      () => process.exit(exitCode),
      (error: unknown) => process.exit(report(error)),
    );
}
