// What the benchmark reports, and how each metric compares: `better` says which way is
// good, so a ratio can always read as "tasklane's advantage" (> 1: tasklane better).

/** Headline metrics: printed in the main table and drawn in the chart. */
export const METRICS = [
  { key: 'bulk_enqueue', case: 'bulk', label: 'bulk enqueue', unit: 'tasks/s', better: 'higher', digits: 0 },
  { key: 'process_1x100', case: 'process', label: 'no-op tasks, 1 proc x 100', unit: 'tasks/s', better: 'higher', digits: 0 },
  { key: 'process_2x50', case: 'process', label: 'no-op tasks, 2 procs x 50', unit: 'tasks/s', better: 'higher', digits: 0 },
  { key: 'latency_p50', case: 'latency', label: 'latency p50 @ 2k/s', unit: 'ms', better: 'lower', digits: 2 },
  { key: 'latency_p99', case: 'latency', label: 'latency p99 @ 2k/s', unit: 'ms', better: 'lower', digits: 2 },
  { key: 'latency_max', case: 'latency', label: 'latency max @ 2k/s', unit: 'ms', better: 'lower', digits: 2 },
  { key: 'http_1x100', case: 'http', label: 'HTTP 5 ms tasks, 1 proc x 100', unit: 'tasks/s', better: 'higher', digits: 0 },
  { key: 'cmds_sent', case: 'commands', label: 'commands sent / task', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'cmds_executed', case: 'commands', label: 'commands executed / task', unit: 'cmds', better: 'lower', digits: 2 },
];

/** Diagnostics: in results.json and a second table, not in the chart. */
export const DIAGNOSTICS = [
  { key: 'bulk_executed', case: 'bulk', label: 'executed / task, bulk enqueue', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'process_1x100_executed', case: 'process', label: 'executed / task, 1 x 100', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'process_1x100_scripts', case: 'process', label: 'script calls / task, 1 x 100', unit: 'calls', better: null, digits: 2 },
  { key: 'process_2x50_executed', case: 'process', label: 'executed / task, 2 x 50', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'latency_executed', case: 'latency', label: 'executed / task, latency run', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'latency_scripts', case: 'latency', label: 'script calls / task, latency run', unit: 'calls', better: null, digits: 2 },
  { key: 'http_executed', case: 'http', label: 'executed / task, HTTP run', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'bulk_cpu_client', case: 'bulk', label: 'producer CPU ms / 1k tasks, bulk', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'bulk_cpu_redis', case: 'bulk', label: 'redis CPU ms / 1k tasks, bulk', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'process_1x100_cpu_client', case: 'process', label: 'worker CPU ms / 1k tasks, 1 x 100', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'process_1x100_cpu_redis', case: 'process', label: 'redis CPU ms / 1k tasks, 1 x 100', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'process_2x50_cpu_client', case: 'process', label: 'worker CPU ms / 1k tasks, 2 x 50', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'process_2x50_cpu_redis', case: 'process', label: 'redis CPU ms / 1k tasks, 2 x 50', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'latency_cpu_client', case: 'latency', label: 'producer+worker CPU ms / 1k, latency', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'latency_cpu_redis', case: 'latency', label: 'redis CPU ms / 1k tasks, latency', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'http_cpu_client', case: 'http', label: 'worker CPU ms / 1k tasks, HTTP', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'http_cpu_redis', case: 'http', label: 'redis CPU ms / 1k tasks, HTTP', unit: 'ms', better: 'lower', digits: 1 },
  { key: 'cmds_sent_enqueue', case: 'commands', label: 'sent / task, enqueue phase', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'cmds_sent_process', case: 'commands', label: 'sent / task, process phase', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'cmds_executed_enqueue', case: 'commands', label: 'executed / task, enqueue phase', unit: 'cmds', better: 'lower', digits: 2 },
  { key: 'cmds_executed_process', case: 'commands', label: 'executed / task, process phase', unit: 'cmds', better: 'lower', digits: 2 },
];

/** The goals the benchmark checks tasklane against (for information; the workload never changes to meet them). */
export const TARGETS = [
  { metric: 'process_1x100', peer: 'bullmq', atLeast: 3, text: 'processing (1 x 100) >= 3x BullMQ' },
  { metric: 'process_2x50', peer: 'bullmq', atLeast: 3, text: 'processing (2 x 50) >= 3x BullMQ' },
  { metric: 'process_1x100', peer: 'bee-queue', atLeast: 1.5, text: 'processing (1 x 100) >= 1.5x bee-queue' },
  { metric: 'process_2x50', peer: 'bee-queue', atLeast: 1.5, text: 'processing (2 x 50) >= 1.5x bee-queue' },
  { metric: 'bulk_enqueue', peer: 'bullmq', atLeast: 4, text: 'bulk enqueue >= 4x BullMQ' },
  { metric: 'bulk_enqueue', peer: 'bee-queue', atLeast: 1, text: 'bulk enqueue no worse than bee-queue' },
  { metric: 'latency_p99', atMost: 5, text: 'latency p99 <= 5 ms at 2k/s' },
];

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
      return { process_1x100: r.tasksPerSec, process_1x100_executed: r.counts.executed / r.completed, process_1x100_scripts: r.counts.scriptCalls / r.completed, ...cpu('process_1x100', r.cpu, r.completed) };
    case 'process_2x50':
      return { process_2x50: r.tasksPerSec, process_2x50_executed: r.counts.executed / r.completed, ...cpu('process_2x50', r.cpu, r.completed) };
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
    default:
      throw new Error(`unknown unit ${unit}`);
  }
}

/** CPU time per 1,000 tasks: the system's client processes, and redis-server. */
function cpu(prefix, { clientMs, redisMs }, n) {
  return { [`${prefix}_cpu_client`]: (clientMs / n) * 1000, [`${prefix}_cpu_redis`]: (redisMs / n) * 1000 };
}
