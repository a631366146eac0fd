// The demo's closing books: every unique task is read back and accounted for, and the
// flaky API's side-effect counts are held against the completed tasks.
import { readFileSync } from 'node:fs';
import { formatMs } from './demo-progress.mjs';
import { percentile } from './stats.mjs';

/** Task records read per round of concurrent `get`s (sent back to back on one connection). */
const READ_CHUNK = 500;

/**
 * Reads back every unique task and checks the books. `produced` comes from the producer:
 * `{ submitted, suppressed, originalsRefused, duplicatesAccepted }`.
 *
 * `tasks` are the records read back (`{ id, info }`, info null when missing), for callers
 * that check more than the demo does (the chaos run classifies the dead letters).
 *
 * @returns {Promise<{ rows: object, problems: string[], tasks: Array<{ id: string, info: object | null }> }>}
 * @example
 * const books = await closeBooks({ queue, api, plan, produced });
 * if (books.problems.length === 0) console.log('balanced');
 */
export async function closeBooks({ queue, api, plan, produced }) {
  const tasks = [];
  for (let start = 0; start < plan.ids.length; start += READ_CHUNK) {
    const ids = plan.ids.slice(start, start + READ_CHUNK);
    tasks.push(...(await Promise.all(ids.map((id) => queue.get(id)))).map((info, i) => ({ id: ids[i], info })));
  }
  const completed = tasks.filter((t) => t.info?.state === 'completed');
  const dead = tasks.filter((t) => t.info?.state === 'dead');
  const lost = tasks.filter((t) => t.info?.state !== 'completed' && t.info?.state !== 'dead');
  const stats = await queue.stats();
  const effects = api.stats();
  // Per id: a completed task's key took effect exactly once, a dead task's never.
  const effectMismatches = tasks.filter((t) => t.info && api.sideEffectsFor(t.id) !== (t.info.state === 'completed' ? 1 : 0));
  const latencies = completed.map((t) => t.info.finishedAt - t.info.createdAt).sort((a, b) => a - b);
  // startedAt is the start of the last attempt: what the task itself took, without queueing or backoff.
  const runs = completed.map((t) => t.info.finishedAt - (t.info.startedAt ?? t.info.createdAt)).sort((a, b) => a - b);

  const rows = {
    submitted: produced.submitted,
    suppressed: produced.suppressed,
    unique: plan.ids.length,
    long: tasks.filter((t) => t.info?.lane === 'long').length,
    completed: completed.length,
    dead: dead.length,
    deadReasons: groupReasons(dead.map((t) => t.info.error)),
    lost: lost.length,
    sideEffects: effects.sideEffects,
    duplicateKeys: effects.duplicateKeys,
    retries: tasks.reduce((sum, t) => sum + Math.max(0, (t.info?.attempts ?? 0) - 1), 0),
    outOfAttempts: dead.filter((t) => t.info.attempts >= t.info.maxAttempts).length,
    api: effects,
    latency: summary(latencies),
    run: summary(runs),
    stats,
    // Every resubmission refused, every first submission accepted, and no record beyond the unique ids.
    dedupOk: produced.suppressed === plan.duplicates && produced.duplicatesAccepted === 0 && produced.originalsRefused === 0
      && stats.completed === completed.length && stats.dead === dead.length,
  };

  const problems = [];
  if (lost.length > 0) problems.push(`${lost.length} task(s) neither completed nor dead, e.g. ${describe(lost.slice(0, 3))}`);
  if (produced.suppressed !== plan.duplicates) problems.push(`${produced.suppressed} submissions suppressed as duplicates, expected ${plan.duplicates}`);
  if (produced.duplicatesAccepted > 0) problems.push(`${produced.duplicatesAccepted} resubmitted id(s) were accepted as new tasks`);
  if (produced.originalsRefused > 0) problems.push(`${produced.originalsRefused} first submission(s) were refused as duplicates`);
  if (stats.completed !== completed.length || stats.dead !== dead.length) {
    problems.push(`the queue holds ${stats.completed} completed and ${stats.dead} dead records, but the ${plan.ids.length} unique ids account for ${completed.length} and ${dead.length}`);
  }
  const unsettled = stats.waiting.short + stats.waiting.long + stats.delayed + stats.active;
  if (unsettled > 0) problems.push(`${unsettled} task(s) still waiting, delayed or active`);
  if (effects.sideEffects !== completed.length) problems.push(`the API performed ${effects.sideEffects} side effects for ${completed.length} completed tasks`);
  if (effects.duplicateKeys > 0) problems.push(`${effects.duplicateKeys} Idempotency-Key(s) took effect more than once`);
  if (effectMismatches.length > 0) {
    problems.push(`${effectMismatches.length} task(s) whose side effects do not match their state, e.g. ${effectMismatches.slice(0, 3).map((t) => `${t.id} (${t.info.state}, ${api.sideEffectsFor(t.id)} effects)`).join(', ')}`);
  }
  return { rows, problems, tasks };
}

/**
 * Sums the counters the worker processes logged when they drained ("drained" lines of the
 * supervisor's log): their own view of the run, to hold against the books. Null when no
 * worker logged one.
 *
 * @example
 * workerCounters('demo-output/supervisor.log') // { workers: 2, completed: 2934, retried: 336, dead: 66, leasesLost: 0 }
 */
export function workerCounters(logFile) {
  const sum = { workers: 0, completed: 0, retried: 0, dead: 0, leasesLost: 0 };
  for (const text of readFileSync(logFile, 'utf8').split('\n')) {
    if (!text.includes('"msg":"drained"')) continue;
    const { stats } = JSON.parse(text);
    sum.workers += 1;
    for (const key of ['completed', 'retried', 'dead', 'leasesLost']) sum[key] += stats?.[key] ?? 0;
  }
  return sum.workers > 0 ? sum : null;
}

function summary(sorted) {
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

/** Dead letters grouped by their recorded error: code (or name), HTTP status, message. */
function groupReasons(errors) {
  const counts = new Map();
  for (const error of errors) {
    const code = error ? (error.code ?? error.name).replace(/^TASKLANE_ERR_/, '') : '';
    const label = error ? `${code}${error.status ? ` ${error.status}` : ''} · ${error.message}` : '(no error recorded)';
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

function describe(tasks) {
  return tasks.map((t) => `${t.id} (${t.info?.state ?? 'missing'})`).join(', ');
}

/**
 * A check mark for the books' table.
 *
 * @example
 * ok(lost === 0) // '✓'
 */
export const ok = (good) => (good ? '✓' : '✗');

/**
 * One row of the books' table: label, right-aligned value, optional note.
 *
 * @example
 * line('  completed', 2980, '✓') // '    completed ... 2980   ✓'
 */
export const line = (label, value, note = '') => `  ${label.padEnd(40)}${String(value).padStart(7)}${note ? `   ${note}` : ''}`;

/** The rule between sections of the books' table, as wide as a `line` without its note. */
export const rule = `  ${'─'.repeat(47)}`;

/**
 * The closing table as text lines. `extra` lines (another section of the table) go just
 * before the verdict.
 *
 * @example
 * console.log(renderBooks(books).join('\n'));
 */
export function renderBooks({ rows, problems }, { workers = null, extra = [] } = {}) {
  const byStatus = Object.entries(rows.api.byStatus).map(([status, n]) => `${status}: ${n}`).join(', ');
  const out = [
    '',
    '  Books: every task accounted for',
    rule,
    line('submitted (enqueueMany)', rows.submitted),
    line('duplicates suppressed', rows.suppressed, `${ok(rows.dedupOk)} ${rows.dedupOk ? 'no second task' : 'see below'}`),
    line('unique tasks', rows.unique, `(${rows.long} long lane)`),
    line('  completed', rows.completed),
    line('  dead letters', rows.dead, rows.outOfAttempts > 0 ? `(${rows.outOfAttempts} out of attempts)` : ''),
    ...rows.deadReasons.map(({ reason, count }) => `  ${String(count).padStart(8)}  ${truncate(reason, 120)}`),
    line('  lost (neither completed nor dead)', rows.lost, ok(rows.lost === 0)),
    rule,
    line('API side effects', rows.sideEffects, `${ok(rows.sideEffects === rows.completed)} ${rows.sideEffects === rows.completed ? '=' : '≠'} completed`),
    line('Idempotency-Keys with 2+ side effects', rows.duplicateKeys, ok(rows.duplicateKeys === 0)),
    rule,
    `  durable retries ${rows.retries} · API calls ${rows.api.calls} (${byStatus}) · replayed ${rows.api.replays}`,
    `  ${rows.latency.n} completed, enqueue→finish: p50 ${formatMs(rows.latency.p50)} · p99 ${formatMs(rows.latency.p99)} · max ${formatMs(rows.latency.max)}`
      + `  (last attempt alone: p50 ${formatMs(rows.run.p50)} · p99 ${formatMs(rows.run.p99)})`,
    ...(workers ? [`  workers' own counters (${workers.workers} drained): completed ${workers.completed} · retried ${workers.retried} · dead ${workers.dead}`
      + ` · leases lost ${workers.leasesLost}   ${ok(workers.completed === rows.completed && workers.dead === rows.dead)} ${workers.completed === rows.completed && workers.dead === rows.dead ? 'match' : 'differ from'} the books`] : []),
    ...extra,
    '',
    problems.length === 0 ? '  Books balance: every unique task completed or dead, none lost, side effects = completed.' : '  Books DO NOT balance:',
    ...problems.map((p) => `    ✗ ${p}`),
  ];
  return out;
}

function truncate(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
