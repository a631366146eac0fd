// Text output of the benchmark: tables of medians with tasklane's advantage per peer,
// and the targets.
import { TARGETS, advantage } from './metrics.mjs';

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
    const values = systems.map((s) => results[s]?.[m.key]?.median ?? null);
    if (values.every((v) => v == null)) continue;
    const tl = results.tasklane?.[m.key]?.median ?? null;
    const ratios = systems.includes('tasklane') ? peers.map((p) => {
      const a = advantage(m, tl, results[p]?.[m.key]?.median ?? null);
      return a == null ? '-' : `${a.toFixed(2)}x`;
    }) : [];
    rows.push([m.label, m.unit, ...values.map((v) => fmt(v, m.digits)), ...ratios]);
  }
  return render(head, rows);
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
    const tl = results.tasklane?.[t.metric]?.median ?? null;
    if (tl == null) continue;
    if (t.peer) {
      const peer = results[t.peer]?.[t.metric]?.median ?? null;
      if (peer == null) continue;
      const value = advantage(metricsByKey[t.metric], tl, peer);
      out.push({ text: t.text, value, goal: t.atLeast, unit: 'x', met: value != null && value >= t.atLeast });
    } else {
      out.push({ text: t.text, value: tl, goal: t.atMost, unit: 'ms', met: tl <= t.atMost });
    }
  }
  return out;
}

/**
 * @example
 * console.log(targetLines(checkTargets(results, byKey)).join('\n'));
 */
export function targetLines(targets) {
  return targets.map((t) => `  ${t.met ? 'MET ' : 'MISS'}  ${t.text}: ${t.unit === 'x' ? `${t.value?.toFixed(2)}x` : `${t.value?.toFixed(2)} ms`}`);
}

function render(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
