// What the benchmark reports, and how each metric compares: `better` says which way is
// good, so a ratio can always read as "tasklane's advantage" (> 1: tasklane better).
// `peerKey`: a tasklane-only metric is compared with the peers' values of that metric
// (the supervisor case with the peers' 2 x 50).

/** Headline metrics: printed in the main table and drawn in the chart. */
export const METRICS = [
  { key: 'bulk_enqueue', case: 'bulk', label: 'bulk enqueue', unit: 'tasks/s', better: 'higher', digits: 0 },
  { key: 'process_1x100', case: 'process', label: 'no-op tasks, 1 proc x 100', unit: 'tasks/s', better: 'higher', digits: 0 },
  { key: 'process_2x50', case: 'process', label: 'no-op tasks, 2 procs x 50', unit: 'tasks/s', better: 'higher', digits: 0 },
  { key: 'process_supervisor_2x50', case: 'supervisor', label: 'no-op, supervisor 2 x 50 (peers: 2 x 50)', unit: 'tasks/s', better: 'higher', digits: 0, peerKey: 'process_2x50' },
  { key: 'latency_p50', case: 'latency', label: 'latency p50 @ 2k/s', unit: 'ms', better: 'lower', digits: 2 },
  { key: 'latency_p99', case: 'latency', label: 'latency p99 @ 2k/s', unit: 'ms', better: 'lower', digits: 2 },
  { key: 'latency_max', case: 'latency', label: 'latency max @ 2k/s', unit: 'ms', better: 'lower', digits: 2 },
  { key: 'http_1x100', case: 'http', label: 'HTTP 5 ms tasks, 1 proc x 100', unit: 'tasks/s', better: 'higher', digits: 0 },
  { key: 'cmds_sent', case: 'commands', label: 'commands sent / task', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'cmds_executed', case: 'commands', label: 'commands executed / task', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'mem_completed', case: 'memory', label: 'Redis memory / completed task', unit: 'bytes', better: 'lower', digits: 0 },
  { key: 'mem_marker', case: 'memory', label: 'Redis memory / dedup marker', unit: 'bytes', better: 'lower', digits: 0 },
];

/** Diagnostics: in results.json and a second table, not in the chart. */
export const DIAGNOSTICS = [
  { key: 'bulk_executed', case: 'bulk', label: 'executed / task, bulk enqueue', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'process_1x100_executed', case: 'process', label: 'executed / task, 1 x 100', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'process_1x100_scripts', case: 'process', label: 'script calls / task, 1 x 100', unit: 'calls', better: null, digits: 2 },
  { key: 'process_2x50_executed', case: 'process', label: 'executed / task, 2 x 50', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'process_supervisor_2x50_executed', case: 'supervisor', label: 'executed / task, supervisor 2 x 50', unit: 'cmds', better: 'lower', digits: 2, peerKey: 'process_2x50_executed' },
  { key: 'latency_executed', case: 'latency', label: 'executed / task, latency run', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'latency_scripts', case: 'latency', label: 'script calls / task, latency run', unit: 'calls', better: null, digits: 2 },
  { key: 'http_executed', case: 'http', label: 'executed / task, HTTP run', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'bulk_cpu_client', case: 'bulk', label: 'producer CPU ms / 1k tasks, bulk', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'bulk_cpu_redis', case: 'bulk', label: 'redis CPU ms / 1k tasks, bulk', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'process_1x100_cpu_client', case: 'process', label: 'worker CPU ms / 1k tasks, 1 x 100', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'process_1x100_cpu_redis', case: 'process', label: 'redis CPU ms / 1k tasks, 1 x 100', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'process_2x50_cpu_client', case: 'process', label: 'worker CPU ms / 1k tasks, 2 x 50', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'process_2x50_cpu_redis', case: 'process', label: 'redis CPU ms / 1k tasks, 2 x 50', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'process_supervisor_2x50_cpu_client', case: 'supervisor', label: 'supervisor+workers CPU ms / 1k, 2 x 50', unit: 'ms', better: 'lower', digits: 1, peerKey: 'process_2x50_cpu_client' },
  { key: 'process_supervisor_2x50_cpu_redis', case: 'supervisor', label: 'redis CPU ms / 1k tasks, supervisor', unit: 'ms', better: 'lower', digits: 1, peerKey: 'process_2x50_cpu_redis' },
  { key: 'process_1x100_held', case: 'process', label: 'completed still held at end, 1 x 100', unit: '%', better: null, digits: 1 },
  { key: 'process_2x50_held', case: 'process', label: 'completed still held at end, 2 x 50', unit: '%', better: null, digits: 1 },
  { key: 'process_supervisor_2x50_held', case: 'supervisor', label: 'completed still held at end, supervisor', unit: '%', better: null, digits: 1 },
  { key: 'mem_waiting', case: 'memory', label: 'Redis memory / waiting task', unit: 'bytes', better: 'lower', digits: 0 },
  { key: 'latency_cpu_client', case: 'latency', label: 'producer+worker CPU ms / 1k, latency', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'latency_cpu_redis', case: 'latency', label: 'redis CPU ms / 1k tasks, latency', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'http_cpu_client', case: 'http', label: 'worker CPU ms / 1k tasks, HTTP', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'http_cpu_redis', case: 'http', label: 'redis CPU ms / 1k tasks, HTTP', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'cmds_sent_enqueue', case: 'commands', label: 'sent / task, enqueue phase', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'cmds_sent_process', case: 'commands', label: 'sent / task, process phase', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'cmds_executed_enqueue', case: 'commands', label: 'executed / task, enqueue phase', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'cmds_executed_process', case: 'commands', label: 'executed / task, process phase', unit: 'cmds', better: 'lower', digits: 2 },
];

/**
 * The goals the benchmark checks tasklane against (for information; the workload never changes
 * to meet them). `peer` + `atLeast`: tasklane's advantage over the peer's median (of `peerKey`
 * when the metric has one); `atMost`: tasklane's own median.
 */
export const TARGETS = [
  { metric: 'process_1x100', peer: 'bee-queue', atLeast: 1.5, text: 'processing (1 x 100) >= 1.5x bee-queue' },
  { metric: 'process_2x50', peer: 'bee-queue', atLeast: 1.5, text: 'processing (2 x 50) >= 1.5x bee-queue' },
  { metric: 'process_1x100', peer: 'bullmq', atLeast: 3, text: 'processing (1 x 100) >= 3x BullMQ' },
  { metric: 'process_2x50', peer: 'bullmq', atLeast: 3, text: 'processing (2 x 50) >= 3x BullMQ' },
  { metric: 'process_supervisor_2x50', peer: 'bee-queue', atLeast: 1.5, text: 'processing via the supervisor (2 x 50) >= 1.5x bee-queue 2 x 50' },
  { metric: 'process_supervisor_2x50', peer: 'bullmq', atLeast: 3, text: 'processing via the supervisor (2 x 50) >= 3x BullMQ 2 x 50' },
  { metric: 'bulk_enqueue', peer: 'bee-queue', atLeast: 1.2, text: 'bulk enqueue >= 1.2x bee-queue' },
  { metric: 'bulk_enqueue', peer: 'bullmq', atLeast: 4, text: 'bulk enqueue >= 4x BullMQ' },
  { metric: 'latency_p99', peer: 'bee-queue', atLeast: 1, text: 'latency p99 at 2k/s <= bee-queue p99' },
  { metric: 'process_1x100_cpu_redis', peer: 'bee-queue', atLeast: 1, text: 'Redis CPU per task, 1 x 100 <= bee-queue' },
  { metric: 'process_2x50_cpu_redis', peer: 'bee-queue', atLeast: 1, text: 'Redis CPU per task, 2 x 50 <= bee-queue' },
  { metric: 'mem_completed', atMost: 700, text: 'Redis memory per completed task (100 B payload) <= 700 bytes' },
  { metric: 'mem_marker', atMost: 100, text: 'Redis memory per dedup marker <= 100 bytes' },
];

/**
 * The median `system` has for `metric`: a peer's is that of `metric.peerKey` when there is one.
 *
 * @example
 * medianOf(results, 'bullmq', { key: 'process_supervisor_2x50', peerKey: 'process_2x50' })
 */
export function medianOf(results, system, metric) {
  const key = system === 'tasklane' ? metric.key : metric.peerKey ?? metric.key;
  return results[system]?.[key]?.median ?? null;
}

/**
 * tasklane's advantage over a peer on one metric: > 1 means tasklane is better.
 *
 * @example
 * advantage({ better: 'higher' }, 300, 100) // 3
 * advantage({ better: 'lower' }, 2, 4)      // 2
 */
export function advantage(metric, tasklane, peer) {
  if (!metric.better) return null; // a count that is neither good nor bad in itself
  if (tasklane == null || peer == null || tasklane === 0 || peer === 0) return null;
  return metric.better === 'higher' ? tasklane / peer : peer / tasklane;
}

/**
 * The metrics of one case run, by key, from what the case returned.
 *
 * @example
 * metricsOf('latency', { p50: 1.2, p99: 3.4, max: 9, counts: { executed: 10, scriptCalls: 2 }, expected: 5 })
 */
export function metricsOf(unit, r) {
  switch (unit) {
    case 'bulk':
      return { bulk_enqueue: r.tasksPerSec, bulk_executed: r.counts.executed / r.n, ...cpu('bulk', r.cpu, r.n) };
    case 'process_1x100':
      return { process_1x100: r.tasksPerSec, process_1x100_executed: r.counts.executed / r.completed, process_1x100_scripts: r.counts.scriptCalls / r.completed, ...cpu('process_1x100', r.cpu, r.completed), ...held('process_1x100', r) };
    case 'process_2x50':
    case 'process_supervisor_2x50':
      return { [unit]: r.tasksPerSec, [`${unit}_executed`]: r.counts.executed / r.completed, ...cpu(unit, r.cpu, r.completed), ...held(unit, r) };
    case 'latency':
      return { latency_p50: r.p50, latency_p99: r.p99, latency_max: r.max, latency_executed: r.counts.executed / r.completed, latency_scripts: r.counts.scriptCalls / r.completed, ...cpu('latency', r.cpu, r.completed) };
    case 'http':
      return { http_1x100: r.tasksPerSec, http_executed: r.counts.executed / r.completed, ...cpu('http', r.cpu, r.completed) };
    case 'commands':
      return {
        cmds_sent: r.sentPerTask,
        cmds_executed: r.executedPerTask,
        cmds_sent_enqueue: r.enqueue.sentPerTask,
        cmds_sent_process: r.process.sentPerTask,
        cmds_executed_enqueue: r.enqueue.executedPerTask,
        cmds_executed_process: r.process.executedPerTask,
      };
    case 'memory':
      return { mem_waiting: r.waiting, mem_completed: r.completed, mem_marker: r.marker };
    default:
      throw new Error(`unknown unit ${unit}`);
  }
}

/** CPU time per 1,000 tasks: the system's client processes (when known), and redis-server. */
function cpu(prefix, { clientMs, redisMs }, n) {
  return { ...(clientMs == null ? {} : { [`${prefix}_cpu_client`]: (clientMs / n) * 1000 }), [`${prefix}_cpu_redis`]: (redisMs / n) * 1000 };
}

/** The share of completed tasks still kept at the end of a run (%): 100 means nothing was reaped while timed. */
function held(prefix, r) {
  return r.held == null ? {} : { [`${prefix}_held`]: (r.held / r.completed) * 100 };
}
