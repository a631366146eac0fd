// A soak worker process, forked by bench/soak.mjs:
//   node bench/lib/soak-worker.mjs <json config>
// Runs one short-lane actor with a no-op handler against the soak queue and answers
// `sample` requests with its completions so far and its own RSS, so the soak measures
// this process (actors, leases, completion batching) apart from the producer.
import { TaskQueue, createActor } from '../../dist/index.js';
import { now } from './clock.mjs';
import { checkSoakMessage, soakErrorData } from './soak-ipc.mjs';

const DRAIN_TIMEOUT_MS = 10_000;

const config = JSON.parse(process.argv[2]);
let done = 0;
let failed = 0;
let storeErrors = 0;

try {
  const queue = new TaskQueue({
    redis: config.url,
    name: config.queue,
    completedRetentionMs: config.completedRetentionMs,
    dedupWindowMs: config.dedupWindowMs,
  });
  queue.on('queue:warning', () => {}); // the soak's own redis-server; its eviction policy is not under test
  const actor = createActor({
    lane: 'short',
    store: queue,
    owner: `soak-worker-${config.index}-${process.pid}`,
    concurrency: config.concurrency,
    handlers: { noop: async () => null },
  });
  actor.on('task:completed', () => { done += 1; });
  actor.on('task:retrying', () => { failed += 1; });
  actor.on('task:dead', () => { failed += 1; });
  // The actor retries store errors itself; the soak reports how many there were.
  actor.on('actor:error', () => { storeErrors += 1; });
  await queue.listenForWork();
  actor.start();

  process.on('message', (raw) => {
    const message = checkSoakMessage(raw);
    if (message.type === 'sample') {
      const { rss, heapUsed } = process.memoryUsage();
      const { user, system } = process.cpuUsage();
      process.send({ type: 'sample', seq: message.seq, atMs: now(), done, failed, storeErrors, rssBytes: rss, heapUsedBytes: heapUsed, cpuMicros: user + system });
    } else {
      void actor.stop({ drainTimeoutMs: DRAIN_TIMEOUT_MS })
        .then(() => queue.close())
        .then(() => process.send({ type: 'stopped', done, failed, storeErrors }, () => process.exit(0)));
    }
  });
  process.send({ type: 'ready' });
} catch (error) {
  process.send({ type: 'failed', error: soakErrorData(error) }, () => process.exit(1));
}
