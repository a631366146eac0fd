import type { TaskQueue } from '../../infra/task-queue.js';
import type { QueueStats } from '../../infra/types.js';
import { TIMED_OUT, within } from '../shutdown.js';

/** What a scrape reads from Redis; `stats` null when Redis did not answer in time. */
export interface QueueSnapshot {
  stats: QueueStats | null;
  /**
   * Enqueued counts by type, as the queue's counter hash holds them: enqueue.lua bounds it
   * at 100 types plus `other`, so every type keeps its series from scrape to scrape.
   */
  enqueued: Record<string, number>;
}

/** A scrape must answer even while Redis is away; Prometheus times out at 10 s by default. */
const SCRAPE_REDIS_MS = 2000;
/** Several collectors of one scrape share one read. */
const SHARE_MS = 250;

/**
 * Reads the queue's counts and enqueued-by-type counters once per scrape, shared by every
 * collector that needs them (prom-client calls each metric's `collect` separately).
 *
 * @example
 * const snapshot = queueSnapshotReader(queue);
 * const { stats } = await snapshot(); // null stats: Redis did not answer
 */
export function queueSnapshotReader(queue: TaskQueue): () => Promise<QueueSnapshot> {
  let last: { at: number; value: Promise<QueueSnapshot> } | undefined;
  return () => {
    const now = Date.now();
    if (last && now - last.at < SHARE_MS) return last.value;
    last = { at: now, value: read(queue) };
    return last.value;
  };
}

async function read(queue: TaskQueue): Promise<QueueSnapshot> {
  const reading = Promise.all([queue.stats(), queue.enqueuedCounts()]);
  const result = await within(reading.catch(() => null), SCRAPE_REDIS_MS);
  if (result === TIMED_OUT || result === null) return { stats: null, enqueued: {} };
  const [stats, enqueued] = result;
  return { stats, enqueued };
}
