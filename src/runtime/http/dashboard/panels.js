// The read-only panels: totals, latency, depth by priority band, workers. Each takes its
// slice of GET /overview and writes text only.
import { count, duration, range, rate } from './format.js';
import { el, setPill, setText, syncChildren } from './dom.js';

const $ = (id) => document.getElementById(id);
const LANES = ['short', 'long'];

/** Sum of `key` over the last `seconds` entries of the throughput series. */
function recent(throughput, key, seconds) {
  return throughput.slice(-seconds).reduce((sum, p) => sum + (p[key] ?? 0), 0);
}

/** The six totals across the top, with a one-line context under each. */
export function renderTotals({ stats, throughput, runtime }) {
  setText($('kpi-waiting-short'), count(stats.waiting.short));
  setText($('kpi-waiting-long'), count(stats.waiting.long));
  setText($('kpi-delayed'), count(stats.delayed));
  setText($('kpi-active'), count(stats.active));
  setText($('kpi-completed'), count(stats.completed));
  setText($('kpi-dead'), count(stats.dead));

  setText($('kpi-waiting-short-sub'), 'deadline per task');
  setText($('kpi-waiting-long-sub'), 'kept alive by heartbeats');
  setText($('kpi-active-sub'), runtime ? `${count(runtime.totals?.inFlight ?? 0)} in flight here` : 'leased by consumers');
  // A 10 s average: steady enough to read, recent enough to show a stall.
  setText($('kpi-completed-sub'), `${rate(recent(throughput, 'completed', 10) / 10)}/s now`);
  const died = recent(throughput, 'dead', 300);
  setText($('kpi-dead-sub'), died ? `+${count(died)} in 5 min` : 'none in 5 min');
  // Retries are not failures yet: only dead letters count against success.
  const done = recent(throughput, 'completed', 300);
  setText($('success'), done + died ? percent(done / (done + died)) : '—');
}

/** 0.99961 → "99.96%": enough digits that one dead letter in thousands still shows. */
function percent(ratio) {
  if (ratio === 1) return '100%';
  return `${(Math.floor(ratio * 10_000) / 100).toFixed(2)}%`;
}

/** p50/p99 of waiting and running; null (nothing finished lately) shows as '—'. */
export function renderLatency(latency) {
  setText($('lat-wait-p50'), duration(latency?.waitP50Ms));
  setText($('lat-wait-p99'), duration(latency?.waitP99Ms));
  setText($('lat-run-p50'), duration(latency?.durationP50Ms));
  setText($('lat-run-p99'), duration(latency?.durationP99Ms));
}

/**
 * One row per priority band, a column per lane. The server sends each lane's bands; they
 * normally match, and a band only one lane has shows '—' in the other.
 */
export function renderBands(bands) {
  const rows = new Map();
  for (const lane of LANES) {
    for (const band of bands?.[lane] ?? []) {
      const key = `${band.min}`;
      if (!rows.has(key)) rows.set(key, { key, label: band.label, min: band.min, max: band.max });
      rows.get(key)[lane] = band.waiting;
    }
  }
  const sorted = [...rows.values()].sort((a, b) => a.min - b.min);
  // One scale for both lanes, so equal bars mean equal depth.
  const max = Math.max(1, ...sorted.flatMap((r) => LANES.map((lane) => r[lane] ?? 0)));
  const laneCell = () => el('td', {}, el('div', { class: 'depth' }, el('span', { class: 'bar' }, el('span')), el('span', { class: 'num' })));
  syncChildren($('bands'), sorted, (r) => r.key, () => el('tr', {}, el('td', { class: 'band-label ellipsis' }), el('td', { class: 'band-range' }), laneCell(), laneCell()), (tr, r) => {
    const [label, span, ...lanes] = tr.children;
    setText(label, r.label);
    setText(span, range(r.min, r.max));
    LANES.forEach((lane, i) => {
      const [bar, value] = lanes[i].firstElementChild.children;
      const waiting = r[lane];
      bar.firstElementChild.style.width = `${waiting ? Math.max(2, (100 * waiting) / max) : 0}%`;
      setText(value, waiting === undefined ? '—' : count(waiting));
      value.classList.toggle('muted', !waiting);
    });
  });
}

function workerState(runtimeState, worker) {
  if (runtimeState === 'stopping' || runtimeState === 'stopped') return [runtimeState, 'muted'];
  if (!worker.ready) return ['starting', 'warn'];
  return ['running', 'ok'];
}

function actors(lanes) {
  const parts = LANES.filter((lane) => lanes?.[lane]).map((lane) => `${lanes[lane]} ${lane}`);
  return parts.length ? parts.join(' · ') : 'none';
}

const RUNTIME_TONE = { running: 'ok', starting: 'warn', stopping: 'warn', idle: 'muted', stopped: 'bad' };

/** One row per worker slot; `runtime` is null when the server only watches the queue. */
export function renderWorkers(runtime) {
  const pill = $('runtime-state');
  pill.hidden = !runtime;
  $('workers-empty').hidden = Boolean(runtime);
  if (runtime) setPill(pill, runtime.state, RUNTIME_TONE[runtime.state] ?? 'muted');
  syncChildren($('workers'), runtime?.workers ?? [], (w) => w.worker, () => el('tr', {},
    el('td', { class: 'mono' }), el('td', { class: 'num' }), el('td'), el('td', {}, el('span', { class: 'pill' })),
    el('td', { class: 'num' }), el('td', { class: 'num' }), el('td', { class: 'num' }), el('td', { class: 'num' })), (row, w) => {
    const [name, pid, lanes, state, inFlight, completed, failed, restarts] = row.children;
    setText(name, w.worker);
    setText(pid, String(w.pid));
    setText(lanes, actors(w.lanes));
    setPill(state.firstElementChild, ...workerState(runtime.state, w));
    setText(inFlight, count(w.stats?.inFlight));
    setText(completed, count(w.stats?.completed));
    setText(failed, w.stats ? count(w.stats.retried + w.stats.dead) : '—');
    failed.title = w.stats ? `${w.stats.retried} retried, ${w.stats.dead} dead, ${w.stats.leasesLost} leases lost` : '';
    setText(restarts, count(w.restarts));
    restarts.classList.toggle('warn-text', w.restarts > 0);
  });
}
