/**
 * The API guard's metrics: the breaker's state per scope (read from Redis at scrape time,
 * shared by every worker), and the 429s and permit waits the runtime's workers counted.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { LIMITER_WAIT_BUCKETS, type GuardCounts } from '../../infra/api/guard-counts.js';
import { readGuardStates } from '../../infra/api/read-state.js';
import type { TaskQueue } from '../../infra/task-queue.js';

const WAIT_NAME = 'tasklane_api_limiter_wait_seconds';

/**
 * Registers `tasklane_api_breaker_state{scope}`, and with a runtime `tasklane_api_throttled_total`
 * and the `tasklane_api_limiter_wait_seconds` histogram.
 *
 * @example
 * registerApiGuardMetrics(registry, queue, ['http'], () => runtime.stats().apiGuard);
 */
export function registerApiGuardMetrics(registry: Registry, queue: TaskQueue, scopes: readonly string[], counts: (() => GuardCounts) | null): void {
  const r = [registry];
  new Gauge({
    name: 'tasklane_api_breaker_state', help: 'The shared circuit breaker of an external API: 0 closed, 1 open (probing counts as open); by scope (`http` or a handlers module\'s guard)', labelNames: ['scope'], registers: r,
    async collect() {
      this.reset();
      for (const state of await readGuardStates(queue, scopes)) this.set({ scope: state.scope }, state.breaker.state === 'open' ? 1 : 0);
    },
  });
  if (!counts) return;
  new Counter({
    name: 'tasklane_api_throttled_total', help: 'Calls to an external API answered 429 (too many requests), by this runtime\'s workers', registers: r,
    collect() {
      this.reset();
      this.inc(counts().throttled);
    },
  });
  // The workers count waits in buckets and the supervisor sums them, so the histogram is
  // exported from those sums rather than observed here.
  registry.registerMetric({
    name: WAIT_NAME,
    get: async () => {
      const c = counts();
      let cumulative = 0;
      const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = LIMITER_WAIT_BUCKETS.map((bound, i) => {
        cumulative += c.waitBuckets[i] ?? 0;
        return { labels: { le: bound }, value: cumulative, metricName: `${WAIT_NAME}_bucket` };
      });
      values.push({ labels: { le: '+Inf' }, value: c.waitCount, metricName: `${WAIT_NAME}_bucket` });
      return {
        name: WAIT_NAME, help: 'How long a call to an external API waited for its guard\'s permit (rate limit, in-flight cap, pause, breaker), in seconds', type: 'histogram',
        values: [...values, { labels: {}, value: c.waitSumSeconds, metricName: `${WAIT_NAME}_sum` }, { labels: {}, value: c.waitCount, metricName: `${WAIT_NAME}_count` }],
        aggregator: 'sum',
      };
    },
  } as unknown as Parameters<Registry['registerMetric']>[0]);
}
