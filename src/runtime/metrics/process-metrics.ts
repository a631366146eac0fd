import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';

let shared: Metric[] | undefined;

/**
 * prom-client's default process metrics (`process_*`, `nodejs_*`), collected once per
 * process and shared by every OperatorMetrics. `collectDefaultMetrics` starts observers (an
 * event-loop delay monitor, a GC PerformanceObserver) that prom-client never stops, so
 * calling it per instance would pile them up in apps and tests that create many.
 *
 * @example
 * for (const metric of processMetrics()) registry.registerMetric(metric);
 */
export function processMetrics(): readonly Metric[] {
  if (!shared) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    shared = registry.getMetricsAsArray().flatMap(({ name }) => registry.getSingleMetric(name) ?? []);
  }
  return shared;
}
