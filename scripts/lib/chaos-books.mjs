// The chaos run's checks on top of the demo's books (closeBooks): why each dead letter is
// dead, whether a dead letter's side effect happened anyway, whether the AOF kept every
// record across the Redis kill, and what the chaos itself did. Each finding is a table
// line; each broken promise is also a problem, which fails the run.
import { formatMs } from './demo-progress.mjs';
import { line, ok, rule } from './demo-report.mjs';

/** Error codes of failures that are retried while attempts remain. */
const RETRYABLE_CODES = new Set(['TASKLANE_ERR_TIMEOUT', 'TASKLANE_ERR_HTTP_REQUEST']);
const STALLED = 'TASKLANE_ERR_STALLED';

/**
 * Why a dead letter is dead: `permanent` (a permanent kind refused with a 4xx), `stalled`
 * (lost more than `maxStalls` leases), `attempts` (a retryable failure on its last
 * attempt), `unexplained` (no error code or message), or `unexpected` (anything else).
 *
 * @example
 * deadCause({ payload: { kind: 'x' }, attempts: 3, maxAttempts: 3, stalls: 0, error: { code: 'TASKLANE_ERR_TIMEOUT', message: '…' } }, ['y'], 5) // 'attempts'
 */
export function deadCause(info, permanentKinds, maxStalls) {
  const error = info.error;
  if (!error || typeof error.message !== 'string' || error.message === '' || !(error.code || error.name)) return 'unexplained';
  if (error.code === STALLED) return info.stalls > maxStalls ? 'stalled' : 'unexpected';
  // Counted (and failed) by the API books (api-trouble.mjs), not here.
  if (error.code === 'TASKLANE_ERR_THROTTLED') return 'throttled';
  if (permanentKinds.includes(info.payload?.kind) && isPermanentStatus(error)) return 'permanent';
  if (info.attempts >= info.maxAttempts && isRetryable(error)) return 'attempts';
  return 'unexpected';
}

function isPermanentStatus(error) {
  return error.code === 'TASKLANE_ERR_HTTP_STATUS' && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
}

function isRetryable(error) {
  if (RETRYABLE_CODES.has(error.code)) return true;
  return error.code === 'TASKLANE_ERR_HTTP_STATUS' && (error.status === 408 || error.status === 429 || error.status >= 500);
}

/**
 * Counts the task records of a queue with SCAN: one per unique id when no duplicate
 * submission created a second task and none was lost.
 *
 * @example
 * await countTaskRecords(queue) // 20000
 */
export async function countTaskRecords(queue) {
  const pattern = `${queue.keys.prefix}t:*`;
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await queue.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/**
 * The chaos section of the table and the problems it found.
 *
 * @param {{ tasks: Array<{ id: string, info: object | null }>, unique: number, records: number,
 *   api: { sideEffectsFor(key: string): number, stats(): { replays: number } },
 *   permanentKinds: string[], maxStalls: number, chaos: ChaosFacts }} input
 * @typedef {{ killEveryMs: number, kills: number, readyKills: number, skipped: number, log: import('./chaos-log.mjs').SupervisorLog,
 *   restart: null | { signal: string, exitMs: number, downMs: number, listenMs: number, readyMs: number,
 *     before: Snapshot, after: Snapshot, probe: { acked: number, after: number } },
 *   restartPlanned: boolean, restartError: Error | null, cluster?: { lines: string[], problems: string[] } }} ChaosFacts
 * @typedef {{ total: number, completed: number, dead: number }} Snapshot
 * @returns {{ lines: string[], problems: string[] }}
 * @example
 * const { lines, problems } = chaosBooks({ tasks: books.tasks, unique: 20000, records, api, permanentKinds, maxStalls: 5, chaos });
 */
export function chaosBooks({ tasks, unique, records, api, permanentKinds, maxStalls, chaos }) {
  const problems = [];
  const known = tasks.filter((t) => t.info);
  const dead = known.filter((t) => t.info.state === 'dead');
  const byCause = { permanent: [], attempts: [], stalled: [], throttled: [], unexpected: [], unexplained: [] };
  for (const t of dead) byCause[deadCause(t.info, permanentKinds, maxStalls)].push(t);
  const deadWithEffect = dead.filter((t) => api.sideEffectsFor(t.id) > 0);
  const permanentCompleted = known.filter((t) => t.info.state === 'completed' && permanentKinds.includes(t.info.payload?.kind));
  const stalledTasks = known.filter((t) => t.info.stalls > 0);
  const stallsTotal = stalledTasks.reduce((sum, t) => sum + t.info.stalls, 0);
  const maxSeen = stalledTasks.reduce((max, t) => Math.max(max, t.info.stalls), 0);
  const recoveredCompleted = stalledTasks.filter((t) => t.info.state === 'completed').length;
  const { log } = chaos;
  const c = log.counts;

  const sample = (list) => list.slice(0, 3).map((t) => `${t.id} (${t.info.error?.code ?? t.info.error?.name ?? 'no error'}: ${t.info.error?.message ?? ''})`).join('; ');

  if (chaos.killEveryMs > 0 && chaos.kills === 0) problems.push('no worker process was killed: the run ended before the first kill');
  // On a cluster the mid-run kill is a master's failover, which chaos-cluster.mjs accounts for.
  const { cluster } = chaos;
  if (cluster) problems.push(...cluster.problems);
  if (!cluster && chaos.restartPlanned && !chaos.restart) problems.push(`Redis was not restarted${chaos.restartError ? `: ${chaos.restartError.message}` : ''}`);
  const r = chaos.restart;
  const aofKept = !r || (r.after.total === r.before.total && r.after.completed >= r.before.completed && r.after.dead >= r.before.dead);
  if (!aofKept) {
    problems.push(`the Redis restart lost acknowledged writes: ${r.before.total} task records before the kill, ${r.after.total} after; completed ${r.before.completed} → ${r.after.completed}, dead ${r.before.dead} → ${r.after.dead}`);
  }
  const probeKept = !r || (r.probe.acked > 0 && r.probe.after >= r.probe.acked);
  if (!probeKept) problems.push(`the write probe had ${r.probe.acked} acknowledged INCRs before the kill and ${r.probe.after} after the restart`);
  if (records !== unique) problems.push(`Redis holds ${records} task records for ${unique} unique ids`);
  if (byCause.unexpected.length > 0) problems.push(`${byCause.unexpected.length} dead letter(s) neither permanent, out of attempts nor stalled, e.g. ${sample(byCause.unexpected)}`);
  if (byCause.unexplained.length > 0) problems.push(`${byCause.unexplained.length} dead letter(s) without an error code and message, e.g. ${sample(byCause.unexplained)}`);
  if (permanentCompleted.length > 0) problems.push(`${permanentCompleted.length} task(s) of a permanently refused kind completed, e.g. ${permanentCompleted.slice(0, 3).map((t) => t.id).join(', ')}`);
  if (deadWithEffect.length > 0) {
    const causes = Object.entries(countBy(deadWithEffect, (t) => deadCause(t.info, permanentKinds, maxStalls))).map(([k, n]) => `${k} ${n}`).join(', ');
    const history = (t) => `${t.id} (${t.info.lane} lane, ${t.info.fence} claims, ${t.info.stalls} leases lost, attempt ${t.info.attempts} of ${t.info.maxAttempts}: ${t.info.error?.code ?? t.info.error?.name})`;
    problems.push(`${deadWithEffect.length} dead letter(s) whose side effect happened anyway (${causes}), e.g. ${deadWithEffect.slice(0, 3).map(history).join('; ')}`);
  }

  const deaths = Object.entries(log.deathSignals).map(([how, n]) => `${how} ${n}`).join(', ') || 'none';
  const lines = [
    rule,
    '  Chaos',
    line('worker processes SIGKILLed', chaos.kills, chaos.killEveryMs > 0
      ? `one every ${formatMs(chaos.killEveryMs)}, ${chaos.readyKills} of them ready${chaos.skipped ? ` (${chaos.skipped} ticks found no worker to kill)` : ''}; the supervisor saw ${c.workersDied} die (${deaths})`
      : 'worker kills off'),
    line('leases released from killed workers', c.leasesReleased, `(+ ${c.expiredRequeued} requeued when their lease expired)`),
    ...(cluster ? cluster.lines : []),
    cluster ? null : r
      ? line(`Redis ${r.signal}ed, restarted on its AOF`, 1, `down ${formatMs(r.downMs + r.exitMs)}, listening after ${formatMs(r.listenMs)}, answering after ${formatMs(r.readyMs)}`)
      : line('Redis restarts', 0, chaos.restartPlanned ? `✗ ${chaos.restartError?.message ?? 'did not happen'}` : '(--no-redis-restart)'),
    ...(r ? [
      `  ${''.padEnd(47)}   ${ok(aofKept)} task records ${r.before.total} → ${r.after.total}, completed ${r.before.completed} → ${r.after.completed}, dead ${r.before.dead} → ${r.after.dead}`,
      `  ${''.padEnd(47)}   ${ok(probeKept)} write probe: ${r.probe.acked} INCRs acknowledged before the kill, counter ${r.probe.after} after`,
    ] : []),
    line('tasks that lost a lease', stalledTasks.length, `${stallsTotal} leases lost in all, at most ${maxSeen} by one task; ${recoveredCompleted} then completed`),
    line('calls answered by a stored response', api.stats().replays, '(a retry after the effect had landed)'),
    line('task records in Redis (SCAN)', records, `${ok(records === unique)} ${records === unique ? '= unique ids' : `≠ ${unique} unique ids`}`),
    rule,
    '  Dead letters by cause',
    line('  permanent 4xx', byCause.permanent.length, `${ok(permanentCompleted.length === 0)} kinds ${permanentKinds.join(', ')}; none of them completed`),
    line('  out of attempts (retryable failure)', byCause.attempts.length, summarizeErrors(byCause.attempts)),
    line('  stalled: lost too many leases', byCause.stalled.length, `${STALLED}: more than maxStalls (${maxStalls}) leases lost`),
    line('  unexpected', byCause.unexpected.length, ok(byCause.unexpected.length === 0)),
    line('  no error code or message', byCause.unexplained.length, ok(byCause.unexplained.length === 0)),
    line('dead letters with a side effect', deadWithEffect.length, ok(deadWithEffect.length === 0)),
    rule,
    `  supervisor log: ${c.workersReady} workers became ready · ${c.redisDown} processes saw Redis go away · ${c.warnings} warnings · ${c.errors} errors`,
    ...[...log.messages].slice(0, 8).map(([message, { level, count }]) => `    ${String(count).padStart(6)}× ${level >= 50 ? 'error' : 'warn '} ${message.slice(0, 110)}`),
  ].filter((l) => l !== null);
  return { lines, problems };
}

function summarizeErrors(list) {
  const counts = countBy(list, (t) => (t.info.error.status ? `${t.info.error.status}` : t.info.error.code.replace(/^TASKLANE_ERR_/, '')));
  return Object.entries(counts).map(([k, n]) => `${k}: ${n}`).join(', ');
}

function countBy(list, key) {
  const counts = {};
  for (const item of list) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
