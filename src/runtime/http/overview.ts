import { ErrorCode } from '../../infra/errors.js';
import { readGuardStates, type ReadGuardState } from '../../infra/api/read-state.js';
import type { DeadLetterSummary } from '../../infra/dead-letters.js';
import type { TaskQueue } from '../../infra/task-queue.js';
import { LANES, type Lane, type QueueStats } from '../../infra/types.js';
import type { LatencySummary, ThroughputPoint } from '../metrics/recent.js';
import type { OperatorMetrics } from '../metrics/registry.js';
import type { Runtime, RuntimeStats } from '../types.js';
import { HttpProblem } from './respond.js';

/** A priority range of a lane's waiting tasks (priority is the waiting set's score). */
export interface PriorityBand {
  label: string;
  min: number;
  /** Inclusive; the last band ends at the largest priority. */
  max: number;
  waiting: number;
}

/** The dashboard's one poll: everything it draws, in one request. */
export interface Overview {
  queue: string;
  /** Epoch ms of this snapshot. */
  time: number;
  stats: QueueStats;
  bands: Record<Lane, PriorityBand[]>;
  /** Per second, the last 300 s, oldest first. */
  throughput: ThroughputPoint[];
  /** Over the last 60 s. */
  latency: LatencySummary;
  runtime: RuntimeStats | null;
  /** The `http` API guard's shared state (breaker, calls in the last second, permits, pause); null when Redis did not answer it. */
  api: ReadGuardState | null;
  /** The 50 most recent dead letters, without payload or result. */
  dead: DeadLetterSummary[];
  /** Whether mutations need a bearer token (reads may too: then this answer itself needed one). */
  auth: boolean;
}

/** Lower runs first, so "urgent" is the lowest range. The default priority, 1000, is its own band. */
export const PRIORITY_BANDS: ReadonlyArray<Omit<PriorityBand, 'waiting'>> = [
  { label: 'urgent', min: 0, max: 9 },
  { label: 'high', min: 10, max: 99 },
  { label: 'normal', min: 100, max: 999 },
  { label: 'default', min: 1000, max: 9999 },
  { label: 'low', min: 10_000, max: 2_147_483_647 },
];

/**
 * Dead letters in each snapshot. They are read as summaries (HMGET of eight small fields):
 * a full record carries a payload and a result of up to 1 MiB each, and every open
 * dashboard asks once a second. Not cached: the read is bounded (50 short rows, one round
 * trip), and a cache would show a retried or purged dead letter for a while after the action.
 */
const DEAD_SHOWN = 50;

/**
 * Builds the dashboard's snapshot: queue counts (the metrics' queue snapshot, so a poll and a
 * scrape at the same moment share one read), waiting tasks per priority band, recent
 * throughput and latency, the runtime's state, and the latest dead letters. 503 when Redis
 * did not answer the counts in time.
 *
 * @example
 * const body = await buildOverview({ queue, runtime, metrics, auth: true });
 */
export async function buildOverview({ queue, runtime, metrics, auth }: { queue: TaskQueue; runtime: Runtime | null; metrics: OperatorMetrics; auth: boolean }): Promise<Overview> {
  const [snapshot, bands, dead, guards] = await Promise.all([metrics.queueSnapshot(), priorityBands(queue), queue.deadSummaries(DEAD_SHOWN), readGuardStates(queue, ['http'])]);
  const { stats } = snapshot;
  if (!stats) throw new HttpProblem(503, ErrorCode.RedisUnavailable, 'Redis did not answer the queue counts in time');
  const { recent } = metrics;
  const time = Date.now();
  return {
    queue: queue.name, time, stats, bands, throughput: recent.throughput(time), latency: recent.latency(time),
    runtime: runtime ? runtime.stats() : null, api: guards[0] ?? null, dead, auth,
  };
}

async function priorityBands(queue: TaskQueue): Promise<Record<Lane, PriorityBand[]>> {
  // Both lanes' counts go out back to back on one connection: one round trip.
  const counts = await Promise.all(LANES.map((lane) => queue.waitingByPriority(lane, PRIORITY_BANDS)));
  const bands = {} as Record<Lane, PriorityBand[]>;
  LANES.forEach((lane, i) => {
    bands[lane] = PRIORITY_BANDS.map((band, j) => ({ ...band, waiting: counts[i]![j]! }));
  });
  return bands;
}
