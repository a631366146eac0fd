// withPermit: what each way a call can end tells the guard, and what the caller gets.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AbortError } from 'p-retry';
import { withPermit } from '../../../dist/infra/api/guarded.js';
import { HttpStatusError, NonRetryableError, TaskTimeoutError } from '../../../dist/infra/errors.js';

const test = suite('withPermit');

/** A guard stub: grants at once (a probe when asked), records every settle. */
function use({ probe = false, probeTimeoutMs = 50 } = {}) {
  const settled = [];
  const guard = {
    scope: 'http', probeTimeoutMs,
    acquire: async () => ({ id: 'p1', probe, waitedMs: 0, grantedAt: 0 }),
    settle: async (permit, outcome, pauseMs = 0) => void settled.push([outcome, pauseMs]),
  };
  return { settled, use: { guard, maxWaitMs: 2000, maxThrottles: 7, defaultPauseMs: 1000, taskTimeoutMs: 30_000 } };
}
const task = { id: 't', lane: 'long', claimedAt: Date.now(), timeoutMs: 0 };
const fails = (error) => async () => { throw error; };

test('an answer is ok; a retryable error is a failure; a non-retryable one (also wrapped by p-retry) is an answer', async () => {
  const a = use();
  assert.is(await withPermit(a.use, task, new AbortController().signal, async () => 42), 42);
  await withPermit(a.use, task, new AbortController().signal, fails(new HttpStatusError(503, { retryable: true }))).catch(() => {});
  await withPermit(a.use, task, new AbortController().signal, fails(new NonRetryableError('no'))).catch(() => {});
  // The http handler stops its quick retries on a 4xx by throwing p-retry's AbortError around it.
  await withPermit(a.use, task, new AbortController().signal, fails(new AbortError(new HttpStatusError(422, { retryable: false })))).catch(() => {});
  assert.equal(a.settled.map(([o]) => o), ['ok', 'fail', 'ok', 'ok']);
});

test('a 429 pauses for its Retry-After (1 s without one) and becomes a GuardWaitError counting one throttle', async () => {
  const a = use();
  const err = await withPermit(a.use, task, new AbortController().signal, fails(new HttpStatusError(429, { retryable: true, retryAfterMs: 3000 }))).catch((e) => e);
  assert.equal([err.code, err.retryInMs, err.throttles, err.maxThrottles, err.countAttempt], ['TASKLANE_ERR_GUARD_WAIT', 3000, 1, 7, false]);
  await withPermit(a.use, task, new AbortController().signal, fails(Object.assign(new Error('slow down'), { status: 429 }))).catch(() => {});
  const now = await withPermit(a.use, task, new AbortController().signal, fails(new HttpStatusError(429, { retryable: true, retryAfterMs: 0 }))).catch((e) => e);
  assert.is(now.retryInMs, 1, 'Retry-After: 0 means now: back in the queue at once');
  assert.equal(a.settled, [['throttled', 3000], ['throttled', 1000], ['throttled', 0]]);
});

test('the task\'s own abort (deadline, lost lease) says nothing; a probe that times out failed', async () => {
  const a = use();
  const ac = new AbortController();
  ac.abort(new TaskTimeoutError(1500));
  await withPermit(a.use, task, ac.signal, fails(new Error('aborted'))).catch(() => {});
  const p = use({ probe: true, probeTimeoutMs: 30 });
  const hang = (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  // AbortSignal.timeout does not keep the process alive; a test process has nothing else to.
  const alive = setTimeout(() => {}, 5000);
  await withPermit(p.use, task, new AbortController().signal, hang).catch(() => {});
  clearTimeout(alive);
  assert.equal(a.settled.map(([o]) => o), ['neutral']);
  assert.equal(p.settled.map(([o]) => o), ['fail'], 'the probe request got the probe timeout as its signal');
});

test.run();
