import type { TaskQueue } from '../../infra/task-queue.js';
import { TIMED_OUT, within } from '../shutdown.js';
import type { Runtime } from '../types.js';

/** A load balancer's probe must not hang on a Redis that does not answer. */
const PING_TIMEOUT_MS = 1000;

/** What `/readyz` reports. */
export interface Readiness {
  ready: boolean;
  redis: 'up' | 'down';
  /** null when the server runs without a runtime. */
  runtime: { state: string; workers: number; ready: number; notReady: string[] } | null;
  /** Why it is not ready, one line per cause; empty when ready. */
  problems: string[];
}

/**
 * Ready means: Redis answers a PING within a second, and (when there is a runtime) it is
 * running with every worker slot ready. A slot that is restarting or was given up makes the
 * process not ready, so an orchestrator can route around it or restart it.
 *
 * @example
 * const r = await checkReadiness(queue, runtime); res.statusCode = r.ready ? 200 : 503;
 */
export async function checkReadiness(queue: TaskQueue, runtime: Runtime | null): Promise<Readiness> {
  const problems: string[] = [];
  const pong = await within(queue.redis.ping().catch(() => null), PING_TIMEOUT_MS);
  const redis = pong === 'PONG' ? 'up' : 'down';
  if (redis === 'down') problems.push(pong === TIMED_OUT ? `Redis did not answer PING within ${PING_TIMEOUT_MS} ms` : 'Redis refused PING');
  let summary: Readiness['runtime'] = null;
  if (runtime) {
    const stats = runtime.stats();
    const notReady = stats.workers.filter((w) => !w.ready).map((w) => w.worker);
    summary = { state: stats.state, workers: stats.workers.length, ready: stats.workers.length - notReady.length, notReady };
    if (stats.state !== 'running') problems.push(`the runtime is ${stats.state}`);
    if (notReady.length > 0) problems.push(`workers not ready: ${notReady.join(', ')}`);
  }
  return { ready: problems.length === 0, redis, runtime: summary, problems };
}
