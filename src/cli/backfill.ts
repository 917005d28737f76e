/**
 * `backfill`: re-reads one stream in a process of its own, beside the running instance (or with none),
 * with a progress bar or log lines. While a connector runs, a signal (`signal`, src/cli/signal.ts) has
 * the running instance do it instead (README, "Signals").
 */
import { SingleBar, Presets } from 'cli-progress';
import { buildApp } from '../app';
import { ConfigError } from '../errors';
import { withChildren } from '../streams/definitions';
import { loadFromFlags, loggerFor, print, streamFlag, type CommonFlags } from './context';

/** Parses `--since`: an ISO date or date-time (UTC when no offset). */
export function parseSince(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms))
    throw new ConfigError(`--since ${value} is not a date: use 2024-05-01 or 2024-05-01T12:00:00Z`, [
      '--since',
    ]);
  return ms;
}

/**
 * `backfill --stream S [--since DATE] [--force]`: re-reads a stream and publishes `r` events for objects
 * whose state differs (every object with --force). It uses its own transactional id, so it runs beside
 * the running instance instead of fencing it. Progress: a bar on a terminal, log lines otherwise.
 */
export async function backfillCommand(
  flags: CommonFlags & { stream?: string; since?: string; force?: boolean },
): Promise<number> {
  const stream = streamFlag('backfill', flags.stream);
  const sinceMs = parseSince(flags.since);
  const config = loadFromFlags(flags, {
    'streams.enabled': withChildren(stream), // conversations with their parts
  });
  const logger = loggerFor(config);
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new SingleBar(
        {
          format: `${stream} [{bar}] {value}/{total} objects | slices {slices} | {rate}/s | ETA {eta_formatted}`,
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : undefined;
  let read = 0;
  let total = 0;
  let slices = '-';
  const started = Date.now();
  let lastLine = 0;
  const app = await buildApp(config, logger, {
    role: 'backfill',
    engineObserver: () => ({
      slices: (_s, _kind, p) => {
        slices = `${p.slicesDone}/${p.slicesTotal}`;
        if (p.objectsTotal !== undefined && p.objectsTotal > total) {
          total = p.objectsTotal;
          if (bar?.isActive) bar.setTotal(total);
        }
      },
      read: (_s, n, t) => {
        read += n;
        if (t !== undefined && t > total) {
          total = t;
          if (bar) bar.setTotal(total);
        }
        const rate = Math.round(read / Math.max(0.001, (Date.now() - started) / 1000));
        if (bar) {
          if (!bar.isActive) bar.start(Math.max(total, read), 0, { rate, slices });
          bar.update(read, { rate, slices });
        } else if (Date.now() - lastLine > 5000) {
          lastLine = Date.now();
          logger.info(
            { stream, read, total: total || undefined, slices, perSecond: rate },
            'backfill progress',
          );
        }
      },
    }),
  });
  try {
    const summary = await app.engine.backfill(stream, { sinceMs, force: flags.force });
    bar?.stop();
    print(
      `backfill ${stream}: read ${summary.read}, published ${summary.published} r events, ${summary.deadLetters} dead letters`,
    );
    return 0;
  } finally {
    bar?.stop();
    await app.close();
  }
}
