// The external API guard's panel: the breaker and the limiter, from /overview.
import { setPill, setText } from './dom.js';
import { count } from './format.js';

const $ = (id) => document.getElementById(id);

const TONE = { closed: 'ok', open: 'bad' };

/** Fills the panel from `overview.api` (the shared state) and `overview.runtime.apiGuard` (this runtime's counts). */
export function renderGuard(api, runtime) {
  if (!api) {
    setPill($('api-breaker'), 'unknown', 'muted');
    return;
  }
  const b = api.breaker;
  const label = b.forced ? `${b.state} (held ${b.forced})` : b.probing ? 'open (probing)' : b.state;
  setPill($('api-breaker'), label, TONE[b.state] ?? 'muted');
  setText($('api-calls'), count(api.callsLastSecond));
  setText($('api-inflight'), count(api.inFlight.count));
  setText($('api-pause'), api.pausedUntil ? `until ${new Date(api.pausedUntil).toLocaleTimeString()}` : 'none');
  setText($('api-window'), `${count(api.window.ok)} / ${count(api.window.fail)}`);
  const guard = runtime?.apiGuard;
  setText($('api-throttled'), guard ? count(guard.throttled) : '—');
  setText($('api-wait'), guard && guard.waitCount > 0 ? `${Math.round((guard.waitSumSeconds / guard.waitCount) * 1000)} ms` : '—');
}
