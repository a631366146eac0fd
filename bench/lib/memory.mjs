// Redis bytes per task held in each retention window of tasklane, from INFO memory:
//   waiting    a queued task (record + waiting-set entry)
//   completed  a finished task inside completedRetentionMs (record + result + completed-set
//              entry + dedup marker)
//   marker     a finished task after its record is gone, inside dedupWindowMs (the marker alone)
// Tasks carry explicit ids (`order-<i>`), as a producer that relies on dedup would, since a
// marker is only kept for an id. The caller's Redis must hold nothing else while this runs.
import { TaskQueue as BuiltTaskQueue } from '../../dist/index.js';

const BATCH = 1000;
const CLAIM_MAX = 500;
const DEDUP_WINDOW_MS = 3_600_000;
// After the retention, records are gone to Redis's lazy expiry; the margin covers the
// scheduling of our wait, and touching every key (below) frees the expired ones at once.
const EXPIRY_MARGIN_MS = 300;

/**
 * Enqueues `tasks` tasks with a `payloadBytes` JSON payload, completes them all, and measures
 * used_memory per task in each window. Throws when reaping began before the completed window
 * was measured (the retention was too short for this many tasks), rather than undercount it.
 *
 * @param {{ url: string, redis: import('ioredis').Redis, queue: string, tasks: number,
 *   payloadBytes: number, retentionMs: number, TaskQueue?: typeof BuiltTaskQueue }} options  `redis`: an
 *   admin connection; `TaskQueue`: another build's class, to compare layouts (default: dist)
 * @example
 * const { completed, marker } = await measureMemory({ url, redis, queue: 'mem', tasks: 20_000, payloadBytes: 100, retentionMs: 3000 });
 */
export async function measureMemory({ url, redis, queue: name, tasks, payloadBytes, retentionMs, TaskQueue = BuiltTaskQueue }) {
  const payload = { data: 'x'.repeat(Math.max(0, payloadBytes - 11)) }; // 11: the JSON around `data`
  const queue = new TaskQueue({ redis: url, name, completedRetentionMs: retentionMs, dedupWindowMs: DEDUP_WINDOW_MS });
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);
  try {
    await queue.stats(); // connected, scripts loaded
    const base = await usedMemory();
    const inputs = Array.from({ length: tasks }, (_, i) => ({ id: `order-${i}`, type: 'job', payload }));
    for (let i = 0; i < tasks; i += BATCH) await queue.enqueueMany(inputs.slice(i, i + BATCH));
    const waiting = await usedMemory();
    const firstDone = Date.now();
    for (;;) {
      const leases = await queue.claim('short', { max: CLAIM_MAX, leaseMs: 60_000, owner: 'bench-memory' });
      if (leases.length === 0) break;
      await queue.completeMany(leases.map((lease) => ({ lease, result: { status: 200 } })));
    }
    const completed = await usedMemory();
    const lastDone = Date.now();
    const held = Number(await redis.zcard(queue.keys.completed));
    if (held !== tasks || lastDone - firstDone >= retentionMs) {
      throw new Error(`memory case: completing ${tasks} tasks took ${lastDone - firstDone} ms, not inside the ${retentionMs} ms retention (${held} held); use fewer --tasks`);
    }
    await new Promise((r) => setTimeout(r, lastDone + retentionMs + EXPIRY_MARGIN_MS - Date.now()));
    await queue.reap(); // the completed index: stats() and completions reap only a bounded step each
    // With the records, the payloads and results kept in their own keys (a build without them has no keys.payload).
    const keysOf = (id) => (queue.keys.payload ? [queue.keys.task(id), queue.keys.payload(id), queue.keys.result(id)] : [queue.keys.task(id)]);
    for (let i = 0; i < tasks; i += BATCH) await redis.exists(...inputs.slice(i, i + BATCH).flatMap((t) => keysOf(t.id)));
    const markers = await usedMemory();
    const per = (bytes) => (bytes - base) / tasks;
    return {
      tasks,
      payloadJsonBytes: JSON.stringify(payload).length,
      retentionMs,
      waiting: per(waiting),
      completed: per(completed),
      marker: per(markers),
      recordsLeft: Number(await redis.zcard(queue.keys.completed)),
    };
  } finally {
    await queue.close();
  }
}
