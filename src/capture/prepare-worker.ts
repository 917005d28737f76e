/**
 * The entry of a capture worker thread (started by workers.ts): prepares each answer it is sent
 * (prepare.ts) under the field policy it was started with (its workerData), and sends back the
 * prepared body, its bytes moved into one transferred buffer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AvroWriter, problemOf } from '../normalize';
import { compilePolicies, packReadings, prepare, readingsOf } from './prepare';
import type { WorkerReply, WorkerRequest, WorkerStart } from './workers';

const port = parentPort;
if (!port) throw new Error('prepare-worker.ts runs as a worker thread (src/capture/workers.ts starts it)');
const writer = new AvroWriter();
const policies = compilePolicies((workerData as WorkerStart | undefined)?.policy);

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const body = prepare(request.text, request.how, writer, policies);
    if (body !== undefined) transfer = [packReadings(readingsOf(body, request.how))];
    reply = { id: request.id, body };
  } catch (error) {
    reply = { id: request.id, error: problemOf(error, 'internal') };
  }
  port.postMessage(reply, transfer);
});
