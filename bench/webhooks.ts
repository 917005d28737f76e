/**
 * The webhook receiver's answer time on the stack's Kafka: N signed notifications (a contact of about
 * 3 KB each, as `contact.user.updated` carries) posted at a steady rate without waiting for answers, as
 * Intercom's deliveries arrive; each answered 200 only after Kafka acknowledged it with acks=all.
 * Intercom wants an answer within 5 s and lowers the priority of endpoints slower than 500 ms.
 *
 *   npx tsx bench/webhooks.ts [--count 3000] [--rate 100]
 */
import { buildWebhookReceiver } from '../src/app';
import { resolveStack } from '../src/devstack/resolve';
import { silentLogger } from '../src/logger';
import { startSimulator } from '../src/sim';
import { signBody } from '../src/sim/webhooks';
import { startReceiver, type ReceiverResult } from '../src/webhooks/receiver';
import { benchConfig, numberArg, percentile, record, runMain } from './lib';

const SECRET = 'bench-client-secret';

async function main(): Promise<void> {
  const count = numberArg('count', 3000);
  const rate = numberArg('rate', 100);
  const stack = await resolveStack((l) => console.error(l));
  try {
    await measure(stack.info, count, rate);
  } finally {
    await stack.release();
  }
}

async function measure(
  stack: { brokers: readonly string[]; registryUrl: string },
  count: number,
  rate: number,
): Promise<void> {
  // The simulator only renders realistic contacts here; nothing is posted by it.
  const sim = await startSimulator({ seed: 26, size: { contacts: 500 } });
  const config = benchConfig(stack, sim.url, { WEBHOOKS_CLIENT_SECRET: SECRET });
  const server: { result: ReceiverResult; seconds: number }[] = [];
  const receiver = buildWebhookReceiver(config, silentLogger(), {
    answered: (result, _topic, seconds) => server.push({ result, seconds }),
  });
  await receiver.prepare();
  const listening = await startReceiver({ port: 0, host: '127.0.0.1' }, receiver.handler);
  const url = `http://127.0.0.1:${listening.port}/webhooks`;
  const ids = sim.truth.ids('contacts');
  const bodies = Array.from({ length: count }, (_, i) => {
    const item = sim.truth.get('contacts', ids[i % ids.length] as string);
    return JSON.stringify({
      type: 'notification_event',
      app_id: 'bench',
      data: { type: 'notification_event_data', item },
      id: `notif_bench_${i}`,
      topic: 'contact.user.updated',
      delivery_attempts: 1,
      created_at: Math.floor(Date.now() / 1000),
    });
  });
  const client: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const body = bodies[i] as string;
    const sent = performance.now();
    sends.push(
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature': signBody(body, SECRET) },
        body,
      }).then(async (res) => {
        await res.arrayBuffer();
        client.push(performance.now() - sent);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(sends);
  const wallS = (performance.now() - started) / 1000;
  await listening.close();
  await receiver.close();
  await sim.close();
  const serverMs = server.map((s) => s.seconds * 1000);
  const row = (name: string, v: number[]) =>
    `| ${name} | ${[50, 95, 99].map((p) => percentile(v, p).toFixed(1)).join(' | ')} | ${Math.max(...v).toFixed(1)} |`;
  const avgBytes = Math.round(bodies.reduce((sum, b) => sum + b.length, 0) / count);
  record(
    'webhooks',
    [
      `### Webhook receiver: answer time (\`npx tsx bench/webhooks.ts --count ${count} --rate ${rate}\`)`,
      '',
      `${count} signed \`contact.user.updated\` notifications of ${avgBytes} bytes on average, posted at ${rate}/s ` +
        `over ${wallS.toFixed(1)} s, each filed in \`<prefix>._webhooks\` with acks=all before its 200 ` +
        `(one broker, 3 partitions). Answers: ${JSON.stringify(statuses)}. Target: p99 < 500 ms.`,
      '',
      '| measured at | p50 ms | p95 ms | p99 ms | max ms |',
      '|---|---|---|---|---|',
      row('the sender (request to answer)', client),
      row('the receiver (arrival to answer)', serverMs),
    ].join('\n'),
  );
}

runMain(main);
