/** Probes of a stack: whether the broker and the registry answer, and waiting until they do. */
import { existsSync, readFileSync } from 'node:fs';
import { kafkaAnswers } from '../kafka/cluster';
import { sleep } from '../sleep';
import { StackError } from './errors';
import type { StackInfo } from './types';

/** Whether the registry's Confluent-compatible API answers `GET /subjects`. */
export async function registryAnswers(registryUrl: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(`${registryUrl.replace(/\/$/, '')}/subjects`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    return res.ok;
  } catch {
    return false;
  }
}

interface WaitOptions {
  /** False once a process of the stack has died: stop waiting and report its log. */
  isAlive?: () => boolean;
  logs?: string[];
  timeoutMs?: number;
}

function tail(file: string): string {
  if (!existsSync(file)) return '';
  return `\n--- ${file} (last lines)\n${readFileSync(file, 'utf8').split('\n').slice(-20).join('\n')}`;
}

/** Polls the broker and the registry until both answer; a StackError names whichever did not. */
export async function waitUntilReady(info: StackInfo, options: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let kafka = false;
  let registry = false;
  while (Date.now() < deadline) {
    kafka = kafka || (await kafkaAnswers(info.brokers));
    registry = registry || (await registryAnswers(info.registryUrl));
    if (kafka && registry) return;
    if (options.isAlive && !options.isAlive()) {
      throw new StackError(
        `a process of the ${info.description} exited during start-up${(options.logs ?? []).map(tail).join('')}`,
      );
    }
    await sleep(250);
  }
  const missing = [
    !kafka && `Kafka at ${info.brokers.join(',')}`,
    !registry && `the schema registry at ${info.registryUrl}`,
  ]
    .filter(Boolean)
    .join(' and ');
  throw new StackError(
    `${missing} did not answer in time (${info.description})${(options.logs ?? []).map(tail).join('')}`,
  );
}
