// The throughput chart: completed, retried and dead per second (uPlot, loaded as a global
// by index.html). The legend above it shows totals over the window, or the values under
// the cursor while hovering.
import { count, rate } from './format.js';
import { el, setText } from './dom.js';

const HEIGHT = 190;
const SERIES = [
  { key: 'completed', label: 'completed', scale: 'done', color: '#2f6fdb', fill: 'rgba(47, 111, 219, 0.10)' },
  // Failures get their own scale (right axis): at 1% of completions they would otherwise
  // be a flat line on the floor of the chart.
  { key: 'retried', label: 'retried', scale: 'failed', color: '#d08a1e' },
  { key: 'dead', label: 'dead', scale: 'failed', color: '#d1453b' },
];
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const clock = (seconds) => CLOCK.format(seconds * 1000);
const INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];
const countRange = (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))];
const AXIS = { stroke: '#7a8494', font: '11px Inter, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif', grid: { stroke: '#eef0f4', width: 1 }, ticks: { show: false } };

/**
 * Mounts the chart in `container` and its legend in `legendNode`.
 *
 * @example
 * const chart = createThroughputChart(document.getElementById('chart'), document.getElementById('legend'));
 * chart.update(overview.throughput);
 */
export function createThroughputChart(container, legendNode) {
  const values = SERIES.map((s) => {
    const value = el('b', { class: 'num' }, '—');
    legendNode.append(el('span', { class: 'key' }, el('i', { style: { background: s.color } }), `${s.label} `, value));
    return value;
  });
  let data = [[], ...SERIES.map(() => [])];

  const showLegend = (u) => {
    const idx = u?.cursor.idx;
    SERIES.forEach((s, i) => {
      const column = data[i + 1];
      // Hovering: that second's value. Otherwise: the total over the window.
      const text = idx === null || idx === undefined ? count(column.reduce((a, b) => a + b, 0)) : `${rate(column[idx])}/s`;
      setText(values[i], text);
    });
  };

  const plot = new window.uPlot({
    width: Math.max(200, container.clientWidth),
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    scales: {
      x: { time: true },
      // Counts: start at zero, and never zoom into a flat line of zeros.
      done: { range: countRange },
      failed: { range: countRange },
    },
    axes: [
      // Clock times on round 15 s / 30 s / 1 min marks; uPlot's default adds a date line.
      { ...AXIS, space: 80, incrs: [15, 30, 60, 120, 300], values: (_u, ticks) => ticks.map(clock) },
      { ...AXIS, scale: 'done', size: 48, incrs: INCRS, values: (_u, ticks) => ticks.map(count) },
      { ...AXIS, scale: 'failed', side: 1, size: 40, stroke: '#b7791f', incrs: INCRS, grid: { show: false }, values: (_u, ticks) => ticks.map(count) },
    ],
    series: [
      {},
      ...SERIES.map((s) => ({ label: s.label, scale: s.scale, stroke: s.color, fill: s.fill, width: 1.5, points: { show: false } })),
    ],
    hooks: { setCursor: [showLegend] },
  }, data, container);

  new ResizeObserver(() => {
    const width = Math.max(200, container.clientWidth);
    if (width !== plot.width) plot.setSize({ width, height: HEIGHT });
  }).observe(container);

  return {
    /** @param {Array<{t: number, completed: number, retried: number, dead: number}>} points oldest first, t in epoch seconds */
    update(points) {
      data = [points.map((p) => p.t), ...SERIES.map((s) => points.map((p) => p[s.key] ?? 0))];
      plot.setData(data);
      showLegend(plot);
    },
  };
}
