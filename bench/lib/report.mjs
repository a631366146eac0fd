// Text output of the benchmark: tables of medians with tasklane's advantage per peer,
// and the targets.
import { TARGETS, advantage, medianOf } from './metrics.mjs';

/**
 * Formats a value with thousands separators (tasks/s) or fixed decimals (ms, commands).
 *
 * @example
 * fmt(12345.6, 0) // '12,346'
 */
export function fmt(value, digits) {
  if (value == null || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * A table of medians, one row per metric present, with a column per system and one
 * "tasklane advantage" column per peer (x; > 1 = tasklane better, whichever way the metric goes).
 *
 * @example
 * console.log(table(METRICS, results, ['tasklane', 'bullmq', 'bee-queue']));
 */
export function table(metrics, results, systems) {
  const peers = systems.filter((s) => s !== 'tasklane');
  const head = ['metric', 'unit', ...systems.map((s) => `${s} (median)`), ...(systems.includes('tasklane') ? peers.map((p) => `tasklane vs ${p}`) : [])];
  const rows = [];
  for (const m of metrics) {
    const values = systems.map((s) => medianOf(results, s, m));
    if (values.every((v) => v == null)) continue;
    const tl = medianOf(results, 'tasklane', m);
    const ratios = systems.includes('tasklane') ? peers.map((p) => {
      const a = advantage(m, tl, medianOf(results, p, m));
      return a == null ? '-' : `${a.toFixed(2)}x`;
    }) : [];
    rows.push([m.label, m.unit, ...values.map((v) => fmt(v, m.digits)), ...ratios]);
  }
  return renderTable(head, rows);
}

/**
 * The targets whose inputs were measured, each with its value and whether it was met.
 *
 * @example
 * for (const t of checkTargets(results)) console.log(t.text, t.met);
 */
export function checkTargets(results, metricsByKey) {
  const out = [];
  for (const t of TARGETS) {
    const metric = metricsByKey[t.metric];
    const tl = medianOf(results, 'tasklane', metric);
    if (tl == null) continue;
    if (t.peer) {
      const peer = medianOf(results, t.peer, metric);
      if (peer == null) continue;
      const value = advantage(metric, tl, peer);
      out.push({ text: t.text, value, goal: t.atLeast, unit: 'x', met: value != null && value >= t.atLeast, tasklane: tl, peer, metricUnit: metric.unit, peerName: t.peer });
    } else {
      out.push({ text: t.text, value: tl, goal: t.atMost, unit: metric.unit, met: tl <= t.atMost });
    }
  }
  return out;
}

/**
 * @example
 * console.log(targetLines(checkTargets(results, byKey)).join('\n'));
 */
export function targetLines(targets) {
  return targets.map((t) => `  ${t.met ? 'MET ' : 'MISS'}  ${t.text}: ${t.unit === 'x'
    ? `${t.value?.toFixed(2)}x (tasklane ${fmt(t.tasklane, 2)}, ${t.peerName} ${fmt(t.peer, 2)} ${t.metricUnit})`
    : `${fmt(t.value, 2)} ${t.unit}`}`);
}

/**
 * A plain table: the first two columns left-aligned, the others right-aligned.
 *
 * @example
 * console.log(renderTable(['metric', 'unit', 'value'], [['bulk', 'tasks/s', '12,000']]));
 */
export function renderTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
