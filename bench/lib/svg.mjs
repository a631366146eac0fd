// results.svg: one small panel per headline metric, a bar per system (its median), the
// value written on each bar. Written by hand; no chart library.
import { advantage, medianOf } from './metrics.mjs';
import { fmt } from './report.mjs';

const COLORS = { tasklane: '#2b6cb0', bullmq: '#c05621', 'bee-queue': '#718096' };
const PANEL_W = 250;
const PANEL_H = 190;
const COLS = 3;
const PAD = 16;
const HEADER = 72;

/**
 * @param {{ metrics: object[], results: object, systems: string[], machine: object }} input
 * @returns {string} an SVG document
 * @example
 * writeFileSync('bench/results.svg', chart({ metrics: METRICS, results, systems, machine }));
 */
export function chart({ metrics, results, systems, machine }) {
  const shown = metrics.filter((m) => systems.some((s) => results[s]?.[m.key]?.median != null));
  const rows = Math.max(1, Math.ceil(shown.length / COLS));
  const width = COLS * PANEL_W + (COLS + 1) * PAD;
  const height = HEADER + rows * (PANEL_H + PAD) + PAD;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${PAD}" y="22" font-size="15" font-weight="bold">tasklane vs BullMQ vs bee-queue (medians; same redis-server, same run)</text>`,
    `<text x="${PAD}" y="40" font-size="11" fill="#4a5568">${esc(`${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, Redis ${machine.redis}, ${machine.date.slice(0, 10)}. "Nx vs peer": tasklane advantage, > 1 = tasklane better`)}</text>`,
  ];
  // The legend has a line of its own: beside the subtitle, a long machine name would run into it.
  let lx = PAD;
  for (const s of systems) {
    parts.push(`<rect x="${lx}" y="48" width="12" height="12" fill="${COLORS[s] ?? '#999'}"/><text x="${lx + 16}" y="58" font-size="11">${esc(s)}</text>`);
    lx += 95;
  }
  shown.forEach((m, i) => {
    const x = PAD + (i % COLS) * (PANEL_W + PAD);
    const y = HEADER + Math.floor(i / COLS) * (PANEL_H + PAD);
    parts.push(panel(m, results, systems, x, y));
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function panel(metric, results, systems, x, y) {
  const values = systems.map((s) => medianOf(results, s, metric));
  const max = Math.max(...values.filter((v) => v != null), 1e-9);
  const top = y + 50;
  const base = y + PANEL_H - 12;
  const barH = base - top - 14;
  const slot = (PANEL_W - 20) / systems.length;
  const out = [
    `<rect x="${x}" y="${y}" width="${PANEL_W}" height="${PANEL_H}" fill="#f7fafc" stroke="#e2e8f0"/>`,
    `<text x="${x + 8}" y="${y + 16}" font-size="12" font-weight="bold">${esc(metric.label)}</text>`,
    `<text x="${x + 8}" y="${y + 30}" font-size="10" fill="#4a5568">${esc(`${metric.unit}, ${metric.better} is better`)}</text>`,
    ...ratioLine(metric, results, systems, x + 8, y + 44),
    `<line x1="${x + 10}" y1="${base}" x2="${x + PANEL_W - 10}" y2="${base}" stroke="#a0aec0"/>`,
  ];
  values.forEach((v, i) => {
    const bx = x + 10 + i * slot + slot * 0.15;
    const bw = slot * 0.7;
    if (v == null) {
      out.push(`<text x="${bx + bw / 2}" y="${base - 4}" font-size="10" text-anchor="middle" fill="#a0aec0">n/a</text>`);
      return;
    }
    const h = Math.max(1, (v / max) * barH);
    out.push(`<rect x="${bx.toFixed(1)}" y="${(base - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[systems[i]] ?? '#999'}"><title>${esc(`${systems[i]}: ${fmt(v, metric.digits)} ${metric.unit}`)}</title></rect>`);
    out.push(`<text x="${(bx + bw / 2).toFixed(1)}" y="${(base - h - 3).toFixed(1)}" font-size="10" text-anchor="middle">${esc(fmt(v, metric.digits))}</text>`);
  });
  return out.join('\n');
}

/** "tasklane: 2.6x vs bullmq, 0.9x vs bee-queue" (advantage: > 1 = tasklane better). */
function ratioLine(metric, results, systems, x, y) {
  const tl = medianOf(results, 'tasklane', metric);
  if (tl == null) return [];
  const parts = systems.filter((s) => s !== 'tasklane').map((peer) => {
    const a = advantage(metric, tl, medianOf(results, peer, metric));
    return a == null ? null : `${a.toFixed(2)}x vs ${peer}`;
  }).filter(Boolean);
  if (parts.length === 0) return [];
  return [`<text x="${x}" y="${y}" font-size="10" fill="#2b6cb0">${esc(`tasklane: ${parts.join(', ')}`)}</text>`];
}

/**
 * Escapes text for SVG content and attribute values.
 *
 * @example
 * esc('a < b') // 'a &lt; b'
 */
export function esc(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
