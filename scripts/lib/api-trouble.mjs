// The external API's trouble in the demo and the chaos run: a quota (429 beyond it, from the
// flaky API) and an outage (503 to every call for a while), and the lines of the books that
// say how the supervisor's API guard rode them out.
import { formatMs } from './demo-progress.mjs';
import { line, ok } from './demo-report.mjs';

const THROTTLED = 'TASKLANE_ERR_THROTTLED';

/**
 * Turns the API's outage on once a share of the tasks is done, and off `ms` later.
 *
 * @example
 * const outage = new OutageWindow(api, { atShare: 0.3, ms: 3000 });
 * outage.tick(done / unique); // on every progress tick
 */
export class OutageWindow {
  #api;
  #timer = null;

  constructor(api, { atShare, ms }) {
    this.#api = api;
    this.atShare = atShare;
    this.ms = ms;
    this.planned = ms > 0;
    this.startedAt = 0;
    this.endedAt = 0;
  }

  /** Starts the outage when `doneShare` reaches its share; true once it is over (or none is planned). */
  tick(doneShare) {
    if (this.planned && !this.startedAt && doneShare >= this.atShare) {
      this.#api.configure({ outage: true });
      this.startedAt = Date.now();
      this.#timer = setTimeout(() => this.end(), this.ms);
      this.#timer.unref();
    }
    return !this.planned || this.endedAt > 0;
  }

  /** Ends the outage now (also on an early stop). */
  end() {
    clearTimeout(this.#timer);
    if (!this.startedAt || this.endedAt) return;
    this.#api.configure({ outage: false });
    this.endedAt = Date.now();
  }
}

/**
 * The books' lines on the API's quota and outage, and the problems among them: a dead letter
 * caused by throttling, or an outage that never happened.
 *
 * @param {{ stats: object, tasks: Array<{ id: string, info: object | null }>, outage: OutageWindow, apiRate: number, quota: number }} input
 * @returns {{ lines: string[], problems: string[] }}
 * @example
 * const { lines, problems } = apiTroubleBooks({ stats: api.stats(), tasks: books.tasks, outage, apiRate: 300, quota: 400 });
 */
export function apiTroubleBooks({ stats, tasks, outage, apiRate, quota }) {
  const problems = [];
  const throttledDead = tasks.filter((t) => t.info?.state === 'dead' && t.info.error?.code === THROTTLED);
  const throttled = stats.byStatus?.[429] ?? 0;
  const busiest = Math.max(0, ...(stats.timeline ?? []).map((s) => s.calls));
  if (throttledDead.length > 0) problems.push(`${throttledDead.length} dead letter(s) caused by throttling (${THROTTLED}), e.g. ${throttledDead.slice(0, 3).map((t) => t.id).join(', ')}`);
  if (outage.planned && !outage.endedAt) problems.push('the API outage did not happen: the run ended before it');
  const lines = [
    line('calls to the API', stats.calls, `${apiRate > 0 ? `--api-rate ${apiRate}/s` : 'no --api-rate'} against a quota of ${quota}/s; busiest second ${busiest}`),
    line('calls answered 429 (quota)', throttled, stats.calls > 0 ? `${Math.round((throttled / stats.calls) * 10_000) / 100}% of calls` : ''),
    line('calls during the API outage', stats.outageCalls, outage.planned
      ? `503 for ${formatMs(outage.ms)}; first success ${stats.recoveryMs === null ? '-' : `${formatMs(stats.recoveryMs)}`} after it ended`
      : '(no outage)'),
    line('dead letters from throttling', throttledDead.length, `${ok(throttledDead.length === 0)} ${THROTTLED}`),
  ];
  return { lines, problems };
}
