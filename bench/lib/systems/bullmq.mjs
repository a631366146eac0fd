// BullMQ's side of the benchmark: Queue#addBulk and one Worker per process with
// `concurrency`, all other settings at their defaults but removeOnComplete { age } (the
// worker's option, see ../retention.mjs; the events stream keeps its default cap).
import { Queue, Worker } from 'bullmq';

const NAME = 'job';

/**
 * @type {import('./types.mjs').SystemAdapter}
 * @example
 * const producer = await bullmq.openProducer({ url, queue: 'bench-1' });
 */
export const bullmq = {
  name: 'bullmq',

  async openProducer({ url, queue }) {
    const q = new Queue(queue, { connection: connection(url) });
    await q.waitUntilReady();
    return {
      addBulk: (payloads) => q.addBulk(payloads.map((data) => ({ name: NAME, data }))),
      add: (payload) => q.add(NAME, payload),
      close: () => q.close(),
    };
  },

  async openConsumer({ url, queue, retentionMs, concurrency, handler, onCompleted }) {
    const worker = new Worker(queue, (job) => handler(job.data), {
      connection: connection(url), concurrency, autorun: false, removeOnComplete: { age: retentionMs / 1000 },
    });
    worker.on('completed', () => onCompleted());
    worker.on('failed', (job, err) => console.error(`bullmq: job ${job?.id} failed: ${err.message}`));
    worker.on('error', (err) => console.error(`bullmq: ${err.message}`));
    await worker.waitUntilReady();
    return {
      start: () => void worker.run(),
      close: () => worker.close(),
    };
  },
};

function connection(url) {
  const { hostname, port } = new URL(url);
  // maxRetriesPerRequest: null is what BullMQ requires of a worker's connection.
  return { host: hostname, port: Number(port), maxRetriesPerRequest: null };
}
