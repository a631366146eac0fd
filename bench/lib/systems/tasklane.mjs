// tasklane's side of the benchmark: the engine's own bulk API (enqueueMany) and one
// short-lane actor per worker process, everything else at its defaults but the completed
// retention (`retentionMs`, see ../retention.mjs). With TASKLANE_BENCH_LOG_LEVEL set
// (e.g. `info`), the actor logs through the runtime's pino logger at that level instead of
// dropping everything, to measure what logging costs a worker.
import { TaskQueue, createActor } from '../../../dist/index.js';
import { createLogger } from '../../../dist/runtime/logger.js';

const TYPE = 'job';

/** The queue's options: one redis-server by URL, or (bench --cluster) a cluster's `host:port,...` and a shard count. */
function queueOptions({ url, cluster, shards, queue, retentionMs }) {
  return { redis: cluster ? { cluster: cluster.split(',') } : url, ...(shards ? { shards } : {}), name: queue, completedRetentionMs: retentionMs };
}

/**
 * @type {import('./types.mjs').SystemAdapter}
 * @example
 * const producer = await tasklane.openProducer({ url, queue: 'bench-1' });
 * await producer.addBulk([{ i: 0 }, { i: 1 }]);
 */
export const tasklane = {
  name: 'tasklane',

  async openProducer(options) {
    const q = new TaskQueue(queueOptions(options));
    await q.stats(); // connected, scripts loaded
    return {
      addBulk: (payloads) => q.enqueueMany(payloads.map((payload) => ({ type: TYPE, payload }))),
      add: (payload) => q.enqueue({ type: TYPE, payload }),
      close: () => q.close(),
    };
  },

  async openConsumer({ concurrency, handler, onCompleted, ...options }) {
    const q = new TaskQueue(queueOptions(options));
    await q.stats();
    await q.listenForWork();
    const level = process.env.TASKLANE_BENCH_LOG_LEVEL;
    const actor = createActor({
      ...(level ? { log: createLogger(level, { role: 'bench' }) } : {}),
      lane: 'short',
      store: q,
      owner: `bench-${process.pid}`,
      concurrency,
      handlers: { [TYPE]: (task) => handler(task.payload) },
    });
    actor.on('task:completed', () => onCompleted());
    actor.on('task:dead', (lease, err) => console.error(`tasklane: task ${lease.id} dead: ${err.message}`));
    return {
      start: () => actor.start(),
      close: async () => {
        await actor.stop({ drainTimeoutMs: 5000 });
        await q.close();
      },
    };
  },
};
