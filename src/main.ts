#!/usr/bin/env node
/**
 * intercom-cdc: the composition root. Parses the command line, runs one command, and maps its outcome
 * to the documented exit codes: 0 clean stop, 1 unexpected failure, 2 configuration or authorization
 * error, 3 fenced by another instance.
 */
import { Command, Option } from 'commander';
import { authLogin } from './cli/auth';
import { backfillCommand } from './cli/backfill';
import { checkCommand } from './cli/check';
import { configPrint } from './cli/config-print';
import type { CommonFlags } from './cli/context';
import { demoCommand } from './cli/demo';
import { runCommand } from './cli/run';
import { schemasCommand } from './cli/schemas';
import { simCommand } from './cli/sim';
import { sinkContactsCommand, type SinkFlags } from './cli/sink';
import { stateReset, stateShow } from './cli/state';
import { tailCommand } from './cli/tail';
import { CdcError, ConfigError, exitCodeFor } from './errors';

function common(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'JSON or YAML config file (also CONFIG_FILE)')
    .option('--log-level <level>', 'log level (LOG_LEVEL)')
    .option('--streams <list>', 'streams to use, comma-separated (STREAMS)')
    .option('--kafka-brokers <list>', 'Kafka bootstrap servers (KAFKA_BROKERS)')
    .option('--schema-registry-url <url>', 'schema registry URL (SCHEMA_REGISTRY_URL)')
    .option('--topic-prefix <prefix>', 'topic prefix (TOPIC_PREFIX)')
    .option('--intercom-base-url <url>', 'Intercom API base URL (INTERCOM_BASE_URL)')
    .option('--connector-name <name>', 'connector name (CONNECTOR_NAME)');
}

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
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nExamples:\n  intercom-cdc run\n  intercom-cdc check\n  intercom-cdc tail --stream contacts --max 10\n  intercom-cdc backfill --stream contacts --since 2024-05-01\n  intercom-cdc demo',
    );

  common(program.command('run').description('capture changes until SIGTERM (the service)'))
    .option('--http-port <port>', 'port of /healthz, /readyz, /metrics (HTTP_PORT)')
    .addHelpText(
      'after',
      '\nExample:\n  INTERCOM_TOKEN_FILE=/secrets/token KAFKA_BROKERS=kafka:9092 SCHEMA_REGISTRY_URL=http://registry:8081 intercom-cdc run',
    )
    .action(action<CommonFlags>(runCommand));

  common(program.command('backfill').description('re-read a stream and publish r events for what differs'))
    .requiredOption('--stream <stream>', 'the stream to backfill')
    .option('--since <date>', 'only objects updated since this date (ISO 8601)')
    .option('--force', 'publish every object, even unchanged ones')
    .addHelpText('after', '\nExample:\n  intercom-cdc backfill --stream contacts --since 2024-05-01')
    .action(action(backfillCommand));

  const state = program.command('state').description('inspect or reset the connector state');
  common(state.command('show').description('watermarks and object counts per stream'))
    .addHelpText('after', '\nExample:\n  intercom-cdc state show')
    .action(action<CommonFlags>(stateShow));
  common(state.command('reset').description('forget a stream so the next run snapshots it again'))
    .requiredOption('--stream <stream>', 'the stream to reset')
    .option('--workspace <id>', 'workspace id (WORKSPACE_ID)')
    .option('--yes', 'confirm')
    .addHelpText('after', '\nExample:\n  intercom-cdc state reset --stream tags --workspace abc123 --yes')
    .action(action(stateReset));

  const auth = program.command('auth').description('authentication');
  common(auth.command('login').description('OAuth authorization-code flow; writes the token'))
    .requiredOption('--out <file>', 'where to write the token (- for stdout)')
    .option('--port <port>', 'local callback port (default: any free port)')
    .addHelpText(
      'after',
      '\nExample:\n  INTERCOM_OAUTH_CLIENT_ID=… INTERCOM_OAUTH_CLIENT_SECRET_FILE=… intercom-cdc auth login --out token.json',
    )
    .action(action(authLogin));

  common(program.command('check').description('check Intercom, Kafka and the registry; prints a table'))
    .addHelpText('after', '\nExample:\n  intercom-cdc check')
    .action(action<CommonFlags>(checkCommand));

  const schemas = program.command('schemas').description('the Avro schemas of the streams');
  for (const a of ['print', 'register', 'check'] as const) {
    common(schemas.command(a).description(`${a} the key and value schemas`))
      .option('--stream <stream>', 'one stream only')
      .addHelpText('after', `\nExample:\n  intercom-cdc schemas ${a} --stream contacts`)
      .action(action((flags: CommonFlags & { stream?: string }) => schemasCommand(a, flags)));
  }

  common(program.command('tail').description("decode a stream's committed events to JSON lines"))
    .requiredOption('--stream <stream>', 'the stream')
    .option('--max <n>', 'stop after n events')
    .option('--idle-ms <ms>', 'stop after this long without an event')
    .addOption(new Option('--no-from-beginning', 'only new events'))
    .addHelpText('after', '\nExample:\n  intercom-cdc tail --stream contacts --max 5')
    .action(action(tailCommand));

  const sink = program.command('sink').description('apply a Kafka topic to Intercom');
  common(
    sink
      .command('contacts')
      .description('create, update, archive and unarchive contacts from a topic of upserts'),
  )
    .option('--topic <topic>', 'input topic (SINK_CONTACTS_TOPIC)')
    .option('--format <format>', 'avro or json (SINK_CONTACTS_FORMAT)')
    .option('--http-port <port>', 'port of /healthz, /readyz, /metrics (HTTP_PORT)')
    .addHelpText(
      'after',
      '\nExample:\n  INTERCOM_TOKEN_FILE=/secrets/token SINK_CONTACTS_ATTRIBUTES=plan,seats=team_size intercom-cdc sink contacts --topic crm.contacts --format json',
    )
    .action(action<SinkFlags>(sinkContactsCommand));

  program
    .command('sim')
    .description('start the Intercom API simulator')
    .option('--port <port>', 'port (default 4010)', '4010')
    .option('--host <host>', 'interface', '127.0.0.1')
    .option('--seed <n>', 'workspace seed', '1')
    .option('--contacts <n>', 'contacts', '1000')
    .option('--conversations <n>', 'conversations')
    .option('--companies <n>', 'companies')
    .option('--token <token>', 'accept only this token')
    .option('--changes-per-second <n>', 'live changes per second (0: none)', '0')
    .option('--rate-limit <n>', 'requests per 10 s window (default: unlimited)')
    .option('--search-lag-ms <ms>', 'search-index lag', '0')
    .option('--timezone <tz>', 'workspace timezone', 'UTC')
    .addHelpText('after', '\nExample:\n  intercom-cdc sim --seed 1 --contacts 100000 --changes-per-second 5')
    .action(action(simCommand));

  program
    .command('demo')
    .description('local stack + simulator + connector, with a live view; Ctrl-C stops everything')
    .option('--contacts <n>', 'contacts in the simulated workspace', '2000')
    .option('--changes-per-second <n>', 'live changes per second', '5')
    .option('--duration-s <s>', 'stop by itself after this many seconds (0: run until Ctrl-C)', '0')
    .addHelpText('after', '\nExample:\n  npm run demo')
    .action(action(demoCommand));

  const config = program.command('config').description('configuration');
  common(config.command('print').description('the effective configuration, secrets masked'))
    .addHelpText('after', '\nExample:\n  intercom-cdc config print --config config/examples/minimal.yaml')
    .action(action<CommonFlags>(configPrint));
  return program;
}

function report(error: unknown): number {
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
