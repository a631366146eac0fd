// bee-queue's side of the benchmark: Queue#saveAll (a pipelined batch of addJob
// scripts) and Queue#process(concurrency) per process. Producers use the settings the
// README recommends for a producer-only queue (isWorker: false, getEvents: false);
// workers keep the defaults except getEvents: false, since nothing here listens to
// job events (with it on, every worker would also receive every other job's event).
// Completed jobs are deleted at completion (removeOnSuccess: true, see ../retention.mjs).
import BeeQueue from 'bee-queue';

/**
 * @type {import('./types.mjs').SystemAdapter}
 * @example
 * const producer = await beeQueue.openProducer({ url, queue: 'bench-1' });
 */
export const beeQueue = {
  name: 'bee-queue',

  async openProducer({ url, queue }) {
    const q = new BeeQueue(queue, { redis: connection(url), isWorker: false, getEvents: false });
    await q.ready();
    return {
      addBulk: async (payloads) => {
        const errors = await q.saveAll(payloads.map((data) => q.createJob(data)));
        if (errors.size > 0) throw new Error(`bee-queue: ${errors.size} jobs not saved: ${[...errors.values()][0].message}`);
      },
      add: (payload) => q.createJob(payload).save(),
      close: () => q.close(),
    };
  },

  async openConsumer({ url, queue, concurrency, handler, onCompleted }) {
    const q = new BeeQueue(queue, { redis: connection(url), getEvents: false, removeOnSuccess: true });
    q.on('succeeded', () => onCompleted());
    q.on('failed', (job, err) => console.error(`bee-queue: job ${job.id} failed: ${err.message}`));
    q.on('error', (err) => console.error(`bee-queue: ${err.message}`));
    await q.ready();
    return {
      start: () => void q.process(concurrency, (job) => handler(job.data)),
      close: () => q.close(5000),
    };
  },
};

function connection(url) {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}
