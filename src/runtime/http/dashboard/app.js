// The dashboard: polls GET /overview once a second and renders it; runs the dead-letter
// actions with the token from the header. No framework and no build: the browser loads
// these modules as they are.
import { ApiError, OfflineError, fetchOverview, getToken, pauseLane, purgeDead, resumeLane, retryAllDead, retryDead, setToken } from './api.js';
import { bindLaneActions, renderLanes } from './lanes.js';
import { createThroughputChart } from './chart.js';
import { bindDeadActions, renderDead } from './dead.js';
import { setPill, setText } from './dom.js';
import { ago, count } from './format.js';
import { renderGuard } from './guard.js';
import { renderBands, renderLatency, renderTotals, renderWorkers } from './panels.js';
import { initTasks } from './tasks.js';

const POLL_MS = 1000;
const NOTICE_MS = 5000;
const $ = (id) => document.getElementById(id);

const chart = createThroughputChart($('chart'), $('legend'));
/** Ids with an action in flight ('*' for "retry all"): their buttons stay disabled. */
const pending = new Set();
let last = null;
let lastOkAt = 0;

// ---- polling -------------------------------------------------------------------------
// One request at a time: a refresh asked for while one is in flight runs right after it,
// so responses can never arrive out of order and overwrite newer data with older.
let timer;
let inFlight = false;
let again = false;

async function poll() {
  clearTimeout(timer);
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  let overview = null;
  try {
    overview = await fetchOverview();
  } catch (err) {
    showFailure(err);
  }
  try {
    // Outside the catch: a rendering bug must surface as an error, not pose as "disconnected".
    if (overview) render(overview);
  } finally {
    // Polling goes on whatever happened; the next answer may render fine.
    inFlight = false;
    const now = again;
    again = false;
    timer = setTimeout(poll, now ? 0 : POLL_MS);
  }
}

function render(overview) {
  last = overview;
  lastOkAt = Date.now();
  setPill($('conn'), 'live', 'ok');
  if (asking) {
    // The token entered was accepted for reads: the task list refused earlier loads now.
    asking = false;
    $('token').classList.remove('invalid');
    $('notice').hidden = true;
    tasks.reload();
  }
  document.body.classList.remove('stale');
  setText($('updated'), `updated ${new Date(overview.time).toLocaleTimeString()}`);
  setText($('queue'), overview.queue);
  document.title = `${overview.queue} · tasklane`;
  $('token-field').hidden = !overview.auth;
  renderTotals(overview);
  chart.update(overview.throughput ?? []);
  renderLatency(overview.latency);
  renderBands(overview.bands);
  renderWorkers(overview.runtime);
  renderGuard(overview.api, overview.runtime);
  renderDeadNow();
}

function renderDeadNow() {
  renderLanes(last?.stats?.paused, pending);
  if (last) renderDead(last.dead ?? [], { total: last.stats.dead, now: last.time, pending });
}

/** True while the server refuses reads for want of a token and the page asks for one. */
let asking = false;
/** The token the last request for one was about, so a poll does not repeat the notice. */
let askedWith = null;

function showFailure(err) {
  // Keep the last data on screen: stale numbers, clearly labelled, beat an empty page.
  const since = lastOkAt ? ` · last update ${ago(lastOkAt, Date.now())}` : '';
  if (err instanceof ApiError && err.status === 401) {
    askForToken(err);
    setPill($('conn'), 'token needed', 'bad');
    setText($('updated'), `${err.message}${since}`);
  } else if (err instanceof OfflineError) {
    setPill($('conn'), 'disconnected', 'bad');
    setText($('updated'), `retrying${since}`);
  } else {
    setPill($('conn'), `error ${err.status ?? ''}`.trim(), 'bad');
    setText($('updated'), `${err.message}${since}`);
  }
  document.body.classList.toggle('stale', Boolean(last));
}

// ---- notices -------------------------------------------------------------------------
let noticeTimer;

function notice(text, tone) {
  clearTimeout(noticeTimer);
  setText($('notice-text'), text);
  $('notice').dataset.tone = tone;
  $('notice').hidden = false;
  // Failures stay until dismissed or replaced; successes fade on their own.
  if (tone === 'ok') noticeTimer = setTimeout(() => { $('notice').hidden = true; }, NOTICE_MS);
}
$('notice-close').addEventListener('click', () => { $('notice').hidden = true; });

/** Reads need a token: show the field, flag it, and say so once (not on every poll). */
function askForToken(err) {
  $('token-field').hidden = false;
  $('token').classList.add('invalid');
  if (asking && askedWith === getToken()) return;
  asking = true;
  askedWith = getToken();
  $('token').focus();
  const hint = getToken() ? 'The token was refused: check it in the header.' : 'This server needs a token to show the queue: enter it in the header (the read-only or the full token).';
  notice(`${hint} (401: ${err.message})`, 'bad');
}

function actionFailed(what, err) {
  if (err instanceof ApiError && err.status === 401) {
    $('token').classList.add('invalid');
    $('token').focus();
    const hint = getToken() ? 'The token was refused: check it in the header and try again.' : 'This server needs a token to change the queue: enter it in the header.';
    return notice(`${hint} (401: ${err.message})`, 'bad');
  }
  if (err instanceof OfflineError) return notice(`Could not ${what}: the server did not answer.`, 'bad');
  notice(`Could not ${what}: ${err.message}`, 'bad');
}

// ---- actions -------------------------------------------------------------------------
async function act(key, what, run, done) {
  pending.add(key);
  renderDeadNow();
  try {
    const body = await run();
    notice(done(body), 'ok');
  } catch (err) {
    actionFailed(what, err);
  } finally {
    pending.delete(key);
    // Refresh at once so the table reflects the action without waiting for the next tick.
    poll();
  }
}

bindDeadActions({
  retry: (id) => act(id, `retry ${id}`, () => retryDead(id), () => `Retried ${id}: it is waiting again.`),
  purge: (id) => act(id, `purge ${id}`, () => purgeDead(id), () => `Purged ${id}.`),
  retryAll: () => act('*', 'retry the dead letters', retryAllDead, (body) => (typeof body?.retried === 'number' ? `Retried ${count(body.retried)} dead letters.` : 'Retried the dead letters.')),
});

bindLaneActions({
  pause: (lane) => act(`lane:${lane}`, `pause the ${lane} lane`, () => pauseLane(lane), () => `Paused the ${lane} lane: it claims nothing new until resumed.`),
  resume: (lane) => act(`lane:${lane}`, `resume the ${lane} lane`, () => resumeLane(lane), () => `Resumed the ${lane} lane.`),
});

const tasks = initTasks($('tasks'), { notice, failed: actionFailed });

// ---- token ---------------------------------------------------------------------------
const tokenInput = $('token');
// The token is kept as it is typed; Enter must not reload the page.
$('token-field').addEventListener('submit', (event) => event.preventDefault());
tokenInput.value = getToken();
tokenInput.addEventListener('input', () => {
  setToken(tokenInput.value.trim());
  tokenInput.classList.remove('invalid');
  // Asked for: try it at once rather than on the next tick. A refusal asks again.
  if (asking) poll();
});

poll();
