/**
 * The entry of a capture worker thread (started by workers.ts): prepares each answer it is sent
 * (prepare.ts) and sends back the prepared body, its bytes moved into one transferred buffer.
 */
import { parentPort } from 'node:worker_threads';
import { AvroWriter } from '../normalize';
import { packReadings, prepare, readingsOf } from './prepare';
import type { WorkerReply, WorkerRequest } from './workers';

const port = parentPort;
if (!port) throw new Error('prepare-worker.ts runs as a worker thread (src/capture/workers.ts starts it)');
const writer = new AvroWriter();

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const body = prepare(request.text, request.how, writer);
    if (body !== undefined) transfer = [packReadings(readingsOf(body, request.how))];
    reply = { id: request.id, body };
  } catch (error) {
    const e = error as { message?: unknown; code?: unknown };
    reply = {
      id: request.id,
      error: {
        message: String(e?.message ?? error),
        code: typeof e?.code === 'string' ? e.code : 'internal',
      },
    };
  }
  port.postMessage(reply, transfer);
});
