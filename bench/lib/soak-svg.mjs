// Hand-written SVG of the soak: stacked panels sharing the time axis (worker RSS,
// Redis used_memory, throughput), with the steady region shaded and its level drawn.
import { esc } from './svg.mjs';

const WIDTH = 900;
const LEFT = 80;
const RIGHT = 30;
const TOP = 72;
const PANEL_H = 170;
const GAP = 46;
const MIB = 1024 * 1024;

/**
 * An SVG document plotting the soak's series.
 *
 * @param {{ title: string, subtitle: string, series: object[], fullAtS: number, stopAtS: number,
 *   steady: { fromS: number, toS: number }, bands?: { fromS: number, toS: number, label: string }[],
 *   panels: { key: string, label: string, color: string, scale?: number, unit: string, level?: number,
 *     dashed?: { key: string, label: string } }[] }} plot
 * @example
 * writeFileSync('soak.svg', soakSvg({ title, subtitle, series, fullAtS, stopAtS, steady, panels }));
 */
export function soakSvg({ title, subtitle, series, fullAtS, stopAtS, steady, bands = [], panels }) {
  const height = TOP + panels.length * (PANEL_H + GAP) + 10;
  const tMax = Math.max(1, ...series.map((s) => s.t));
  const x = (t) => LEFT + ((WIDTH - LEFT - RIGHT) * t) / tMax;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${LEFT}" y="38" fill="#555">${esc(subtitle)}</text>`,
  ];
  panels.forEach((panel, i) => {
    const top = TOP + i * (PANEL_H + GAP);
    parts.push(...drawPanel(panel, series, { top, x, tMax, fullAtS, stopAtS, steady, bands, last: i === panels.length - 1 }));
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function drawPanel(panel, series, { top, x, tMax, fullAtS, stopAtS, steady, bands, last }) {
  const scale = panel.scale ?? MIB;
  const valuesOf = (key) => series.map((s) => (Number.isFinite(s[key]) ? s[key] / scale : null));
  const values = valuesOf(panel.key);
  const dashed = panel.dashed ? valuesOf(panel.dashed.key) : [];
  const yMax = niceCeil(Math.max(1e-9, ...values.filter((v) => v !== null), ...dashed.filter((v) => v !== null)) * 1.1);
  const bottom = top + PANEL_H;
  const y = (v) => bottom - (PANEL_H * v) / yMax;
  const out = [`<g>`, `<text x="${LEFT}" y="${top - 8}" font-weight="bold" fill="${panel.color}">${esc(panel.label)}</text>`];
  out.push(`<rect x="${x(steady.fromS)}" y="${top}" width="${Math.max(0, x(steady.toS) - x(steady.fromS))}" height="${PANEL_H}" fill="#eef6ee"/>`);
  for (const band of bands.filter((b) => b.fromS < tMax - 0.02 * tMax)) {
    out.push(`<rect x="${x(band.fromS)}" y="${top}" width="${Math.max(1, x(Math.min(tMax, band.toS)) - x(band.fromS))}" height="${PANEL_H}" fill="#f1f1f1"/>`);
    out.push(`<text x="${x(band.fromS) + 2}" y="${bottom - 4}" fill="#999" font-size="9">${esc(band.label)}</text>`);
  }
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)} ${esc(panel.unit)}</text>`);
  }
  for (const [t, label] of [[fullAtS, 'windows full'], [stopAtS, 'processing stopped']]) {
    if (t > tMax) continue;
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top}" y2="${bottom}" stroke="#999" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x(t) + 3}" y="${top + 11}" fill="#777">${label}</text>`);
  }
  if (panel.level !== undefined && Number.isFinite(panel.level)) {
    const ly = y(panel.level / scale);
    out.push(`<line x1="${x(steady.fromS)}" x2="${x(steady.toS)}" y1="${ly}" y2="${ly}" stroke="#222" stroke-dasharray="6 3"/>`);
    out.push(`<text x="${x(steady.toS) - 3}" y="${ly - 5}" text-anchor="end" fill="#222">level ${fmt(panel.level / scale)} ${esc(panel.unit)}</text>`);
  }
  if (panel.dashed) {
    out.push(...line(series, dashed, x, y, `stroke="${panel.color}" stroke-width="1.2" stroke-dasharray="5 3" opacity="0.8"`));
    out.push(`<text x="${WIDTH - RIGHT}" y="${top - 8}" text-anchor="end" fill="${panel.color}">dashed: ${esc(panel.dashed.label)}</text>`);
  }
  out.push(...line(series, values, x, y, `stroke="${panel.color}" stroke-width="1.6"`));
  out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  out.push(`<line x1="${LEFT}" x2="${LEFT}" y1="${top}" y2="${bottom}" stroke="#333"/>`);
  const step = niceCeil(tMax / 8);
  for (let t = 0; t <= tMax + 1e-9; t += step) {
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${bottom}" y2="${bottom + 4}" stroke="#333"/>`);
    out.push(`<text x="${x(t)}" y="${bottom + 15}" text-anchor="middle">${fmt(t)}</text>`);
  }
  if (last) out.push(`<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${bottom + 30}" text-anchor="middle">time since the producer started (s); shaded: steady samples judged for flatness</text>`);
  out.push('</g>');
  return out;
}

/** Polylines through the values; a sample without one (null) breaks the line. */
function line(series, values, x, y, style) {
  const runs = [[]];
  series.forEach((s, i) => {
    if (values[i] === null) runs.push([]);
    else runs.at(-1).push(`${x(s.t).toFixed(1)},${y(values[i]).toFixed(1)}`);
  });
  return runs.filter((r) => r.length > 0).map((r) => `<polyline fill="none" ${style} points="${r.join(' ')}"/>`);
}

/** The smallest of 1, 2, 2.5, 5 or 10 times a power of ten at or above `v`: round axis steps. */
function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((c) => c >= v);
}

function fmt(v) {
  return v >= 100 ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
}
