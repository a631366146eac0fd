// The shared API guard on both backends: sliding-window rate limit, in-flight cap with
// leased permits, 429 pause, circuit breaker with one probe, operator override, replays.
import * as assert from 'uvu/assert';
import { ApiGuard } from '../../../dist/infra/api/guard.js';
import { parseApiRate } from '../../../dist/infra/api/rate.js';
import { QueueKeys } from '../../../dist/infra/keys.js';
import { defineScripts } from '../../../dist/infra/scripts.js';
import { describeBackends, sleep, uniqueName } from '../../helpers/backends.mjs';
import { eventually } from '../../helpers/supervisor.mjs';

const BREAKER = { windowMs: 2000, minCalls: 4, threshold: 0.5, cooldownMs: 300, maxCooldownMs: 1000, probeTimeoutMs: 250 };

await describeBackends('ApiGuard', (test, backend) => {
  const open = [];
  /** A guard on a fresh client; `queue` shares one guard's keys between "workers". */
  function guard(queue, options = {}) {
    const redis = backend.client();
    const g = new ApiGuard({ redis, queue, breaker: BREAKER, ...options });
    open.push({ g, redis });
    return g;
  }
  test.after.each(() => {
    for (const { g, redis } of open.splice(0)) {
      g.close();
      redis.disconnect();
    }
  });

  test('rate limit: no window of the period holds more than the limit, bursts included', async () => {
    const g = guard(uniqueName(), { rate: { limit: 4, periodMs: 400 }, breaker: false });
    const permits = await Promise.all(Array.from({ length: 13 }, () => g.acquire()));
    const times = permits.map((p) => p.grantedAt).sort((a, b) => a - b);
    assert.is(times.filter((t) => t === times[0]).length, 4, 'the first 4 go at once');
    for (let i = 0; i + 4 < times.length; i += 1) {
      assert.ok(times[i + 4] - times[i] >= 400, `calls ${i} and ${i + 4} are ${times[i + 4] - times[i]} ms apart`);
    }
    assert.ok(times.at(-1) - times[0] >= 1200, 'the 13th call waits three periods');
    await Promise.all(permits.map((p) => g.settle(p, 'ok')));
  });

  test('rate limit: one script call serves a batch of waiting callers', async () => {
    const g = guard(uniqueName(), { breaker: false });
    const permits = await Promise.all(Array.from({ length: 60 }, () => g.acquire()));
    const batches = new Set(permits.map((p) => p.id.slice(0, p.id.lastIndexOf(':'))));
    assert.ok(batches.size <= 2, `60 callers took ${batches.size} script calls`);
  });

  test('the rate limit covers every worker of the queue', async () => {
    const queue = uniqueName();
    const a = guard(queue, { rate: { limit: 3, periodMs: 600 }, breaker: false });
    const b = guard(queue, { rate: { limit: 3, periodMs: 600 }, breaker: false });
    const first = await Promise.all([a.acquire(), a.acquire(), b.acquire()]);
    const reasons = [];
    b.on('guard:waiting', (w) => reasons.push(w.reason));
    const fourth = await b.acquire();
    assert.equal(reasons, ['rate'], 'the fourth call across both workers waited for the window');
    assert.ok(fourth.grantedAt - Math.min(...first.map((p) => p.grantedAt)) >= 600);
  });

  test('in-flight cap: a permit given back by another worker lets a waiter go at once, not when its lease would lapse', async () => {
    const queue = uniqueName();
    const a = guard(queue, { maxInFlight: 1, permitLeaseMs: 60_000, breaker: false });
    const b = guard(queue, { maxInFlight: 1, permitLeaseMs: 60_000, breaker: false });
    const held = await a.acquire();
    const waiting = b.acquire();
    await sleep(150);
    await a.settle(held, 'ok');
    const started = Date.now();
    await waiting;
    assert.ok(Date.now() - started < 2000, `the other worker's waiter went ${Date.now() - started} ms after the permit came back`);
  });

  test('in-flight cap: a waiter goes as soon as a permit is given back', async () => {
    const queue = uniqueName();
    const g = guard(queue, { maxInFlight: 2, breaker: false });
    const [p1, p2] = await Promise.all([g.acquire(), g.acquire()]);
    let third = null;
    const pending = g.acquire().then((p) => { third = p; return p; });
    await sleep(150);
    assert.is(third, null, 'a third call waits while two are in flight');
    await g.settle(p1, 'ok');
    const p3 = await pending;
    assert.ok(p3.waitedMs >= 100);
    assert.is((await g.state()).inFlight.count, 2);
    await g.settle(p2, 'ok');
    await g.settle(p3, 'ok');
    assert.is((await g.state()).inFlight.count, 0);
  });

  test('in-flight cap: a crashed worker\'s permits come back when their lease ends', async () => {
    const queue = uniqueName();
    const crashed = guard(queue, { maxInFlight: 1, permitLeaseMs: 300, breaker: false });
    await crashed.acquire(); // never settled: its worker "died"
    const survivor = guard(queue, { maxInFlight: 1, permitLeaseMs: 300, breaker: false });
    const started = Date.now();
    await survivor.acquire();
    assert.ok(Date.now() - started >= 250, 'the survivor waited for the lease');
  });

  test('a 429 pauses every worker until its Retry-After', async () => {
    const queue = uniqueName();
    const a = guard(queue);
    const b = guard(queue);
    const permit = await a.acquire();
    await a.settle(permit, 'throttled', 400);
    const state = await b.state();
    assert.ok(state.pausedUntil > state.serverTime, 'the pause is visible to all');
    const waits = [];
    b.on('guard:waiting', (w) => waits.push(w.reason));
    const started = Date.now();
    await b.acquire();
    assert.ok(Date.now() - started >= 350, `waited ${Date.now() - started} ms`);
    assert.equal(waits, ['paused']);
  });

  test('breaker: failures past the threshold open it for every worker; one probe after the cooldown closes it', async () => {
    const queue = uniqueName();
    const a = guard(queue);
    const b = guard(queue);
    for (let i = 0; i < 4; i += 1) await a.settle(await a.acquire(), i === 0 ? 'ok' : 'fail');
    const state = await b.state();
    assert.is(state.breaker.state, 'open');
    const reasons = [];
    b.on('guard:waiting', (w) => reasons.push(w.reason));
    a.on('guard:waiting', (w) => reasons.push(w.reason));
    // Both workers want a call after the cooldown: exactly one gets the probe.
    const first = await Promise.race([a.acquire(), b.acquire()]);
    assert.ok(first.probe, 'the first call after the cooldown is the probe');
    assert.ok(reasons.includes('open'));
    await eventually(() => reasons.includes('probing'), { timeoutMs: 2000, everyMs: 20, what: 'the other worker to wait while the probe is out' });
    await a.settle(first, 'ok');
    assert.is((await b.state()).breaker.state, 'closed');
  });

  test('breaker: a failed probe reopens it with the cooldown doubled, up to the cap', async () => {
    const g = guard(uniqueName());
    for (let i = 0; i < 4; i += 1) await g.settle(await g.acquire(), 'fail');
    let probe = await g.acquire();
    assert.ok(probe.probe);
    await g.settle(probe, 'fail');
    let state = await g.state();
    assert.is(state.breaker.state, 'open');
    assert.is(state.breaker.cooldownMs, 600);
    probe = await g.acquire();
    await g.settle(probe, 'fail');
    state = await g.state();
    assert.is(state.breaker.cooldownMs, 1000, 'doubled, capped at maxCooldownMs');
  });

  test('breaker: a probe that never reports counts as failed once its lease ends', async () => {
    const g = guard(uniqueName());
    for (let i = 0; i < 4; i += 1) await g.settle(await g.acquire(), 'fail');
    const hung = await g.acquire();
    assert.ok(hung.probe);
    const started = Date.now();
    const next = await g.acquire();
    assert.ok(next.probe, 'a new probe, not a flood');
    assert.ok(Date.now() - started >= 250 + 600 - 50, 'after the probe lease and a doubled cooldown');
    await g.settle(hung, 'ok'); // the hung probe's late answer no longer decides
    assert.is((await g.state()).breaker.state, 'open');
    await g.settle(next, 'ok');
    assert.is((await g.state()).breaker.state, 'closed');
  });

  test('breaker: one host failing while another succeeds does not open it', async () => {
    const queue = uniqueName();
    const sick = guard(queue, { reporter: 'host-a' });
    const healthy = guard(queue, { reporter: 'host-b' });
    await healthy.settle(await healthy.acquire(), 'ok');
    for (let i = 0; i < 6; i += 1) await sick.settle(await sick.acquire(), 'fail');
    assert.is((await healthy.state()).breaker.state, 'closed', 'one reporter alone cannot open it while others call');
    await healthy.settle(await healthy.acquire(), 'fail');
    assert.is((await healthy.state()).breaker.state, 'open', 'failures from two hosts do');
  });

  test('breaker: a sudden outage after many successes opens it after about minCalls failures (the newest calls decide)', async () => {
    // 20 buckets of 200 ms: the successes sit in an older bucket than the failures.
    const g = guard(uniqueName(), { breaker: { ...BREAKER, windowMs: 4000, minCalls: 5 } });
    for (let i = 0; i < 40; i += 1) await g.settle(await g.acquire(), 'ok');
    await sleep(250);
    assert.is((await g.state()).window.ok, 40, 'the successes are still in the window');
    let failures = 0;
    while ((await g.state()).breaker.state === 'closed' && failures < 40) {
      await g.settle(await g.acquire(), 'fail');
      failures += 1;
    }
    assert.ok(failures <= 10, `opened after ${failures} failures, though 40 successes are in the window`);
    assert.is((await g.state()).breaker.state, 'open');
  });

  test('acquire with maxWaitMs: a longer wait rejects with a GuardWaitError naming it; a shorter one is waited', async () => {
    const g = guard(uniqueName(), { rate: { limit: 1, periodMs: 600 }, breaker: false });
    await g.settle(await g.acquire(), 'ok');
    const err = await g.acquire(undefined, { maxWaitMs: 100 }).then(() => null, (e) => e);
    assert.is(err?.code, 'TASKLANE_ERR_GUARD_WAIT');
    assert.is(err.reason, 'rate');
    assert.ok(err.retryInMs > 100 && err.retryInMs <= 600, `retryInMs ${err.retryInMs}`);
    assert.is(err.countAttempt, false);
    const started = Date.now();
    const permit = await g.acquire(undefined, { maxWaitMs: 1000 });
    assert.ok(Date.now() - started >= 300, 'waited in-process for the window');
    await g.settle(permit, 'ok');
  });

  test('reporter: TASKLANE_HOST_ID names the host when no reporter is given', async () => {
    const queue = uniqueName();
    const saved = process.env.TASKLANE_HOST_ID;
    try {
      process.env.TASKLANE_HOST_ID = 'host-a';
      const a = guard(queue);
      process.env.TASKLANE_HOST_ID = 'host-b';
      const b = guard(queue);
      await b.settle(await b.acquire(), 'ok');
      for (let i = 0; i < 6; i += 1) await a.settle(await a.acquire(), 'fail');
      assert.is((await a.state()).breaker.state, 'closed', 'two hosts are calling, and only host-a fails');
    } finally {
      if (saved === undefined) delete process.env.TASKLANE_HOST_ID;
      else process.env.TASKLANE_HOST_ID = saved;
    }
  });

  test('an operator can hold the breaker open or closed, and hand it back', async () => {
    const queue = uniqueName();
    const g = guard(queue);
    await g.force('open');
    assert.is((await g.state()).breaker.forced, 'open');
    const ac = new AbortController();
    const blocked = g.acquire(ac.signal);
    await sleep(100);
    ac.abort(new Error('gave up'));
    const outcome = await blocked.then(() => 'granted', (err) => err.message);
    assert.is(outcome, 'gave up', 'a caller that gives up holds nothing');
    await g.force('closed');
    for (let i = 0; i < 6; i += 1) await g.settle(await g.acquire(), 'fail');
    assert.is((await g.state()).breaker.state, 'closed', 'held closed, failures do not open it');
    await g.force('auto');
    const state = await g.state();
    assert.is(state.breaker.forced, null);
    assert.is(state.breaker.state, 'closed');
    const refused = await g.force('sideways').then(() => null, (err) => err);
    assert.is(refused?.code, 'TASKLANE_ERR_INVALID_OPTION');
    assert.match(refused.message, /'open', 'closed' or 'auto'/);
  });

  test('replays: a resent acquire returns its own permits; a resent settle counts nothing twice', async () => {
    const queue = uniqueName();
    const redis = backend.client();
    open.push({ g: { close() {} }, redis });
    const run = defineScripts(redis);
    const k = new QueueKeys(queue).api('http');
    const acquire = () => run('apiAcquire', [k.calls, k.inflight, k.breaker, k.pause], ['rid-1', 3, 3, 1000, 0, 60_000, 1000, 1000]);
    const first = await acquire();
    const again = await acquire();
    assert.is(Number(first[0]), 3);
    assert.is(Number(again[0]), 3, 'the replay gets the same three permits');
    assert.is(await redis.zcard(k.calls), 3, 'and they are counted once');
    const settle = () => run('apiSettle', [k.inflight, k.breaker, k.window, k.reporters, k.callers, k.pause],
      ['rid-1:1', 'fail', 'host', 0, 2000, 100, 0.5, 300, 1000]);
    assert.equal((await settle())[0], 'closed');
    assert.equal((await settle())[0], 'replayed');
    const g = new ApiGuard({ redis, queue, breaker: BREAKER });
    assert.is((await g.state()).window.fail, 1);
  });
});

const { suite } = await import('uvu');
const rate = suite('parseApiRate');
rate('N/s and N/m', () => {
  assert.equal(parseApiRate('100/s'), { limit: 100, periodMs: 1000 });
  assert.equal(parseApiRate(' 600 / m '), { limit: 600, periodMs: 60_000 });
});
rate('anything else names the field and the accepted form', () => {
  for (const bad of ['', '100', '0/s', '10/h', '-1/s', '1.5/s', '9999999/s']) {
    assert.throws(() => parseApiRate(bad, '--api-rate'), (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === '--api-rate' && /N\/s or N\/m/.test(err.message), bad);
  }
});
rate.run();
