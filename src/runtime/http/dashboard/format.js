// Number and time formatting for the dashboard. Every function accepts null/undefined and
// answers '—', because the server reports "not measured yet" as null.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

const missing = (n) => n === null || n === undefined || !Number.isFinite(n);

/** 12345 → "12,345" (in the browser's locale). */
export function count(n) {
  return missing(n) ? '—' : integer.format(n);
}

/** A per-second rate: one decimal below 10/s, whole numbers above. */
export function rate(n) {
  if (missing(n)) return '—';
  return n < 10 ? oneDecimal.format(n) : integer.format(n);
}

/** A latency in ms, in the unit that keeps it short: "840 ms", "2.4 s", "3.1 min". */
export function duration(ms) {
  if (missing(ms)) return '—';
  if (ms < 1) return '< 1 ms';
  if (ms < 1000) return `${integer.format(ms)} ms`;
  if (ms < 60_000) return `${oneDecimal.format(ms / 1000)} s`;
  if (ms < 3_600_000) return `${oneDecimal.format(ms / 60_000)} min`;
  return `${oneDecimal.format(ms / 3_600_000)} h`;
}

/** How long before `now` a time was, coarsely: "just now", "42 s ago", "5 min ago". */
export function ago(then, now) {
  if (missing(then)) return '—';
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** A priority band's range: "0–99", or "1,000+" for the open-ended last band. */
export function range(min, max) {
  // The last band has no upper bound; the server may send null or the largest priority.
  if (missing(max) || max >= 2_147_483_647) return `${count(min)}+`;
  return min === max ? count(min) : `${count(min)}–${count(max)}`;
}
