import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startFlakyApi } from '../../scripts/lib/flaky-api.mjs';

/** POSTs `payload` with `key` (omitted when null); resolves with status, headers and parsed body. */
async function call(api, key, payload = {}, init = {}) {
  const headers = { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) };
  const res = await fetch(`${api.url}/tasks`, { method: 'POST', headers, body: JSON.stringify(payload), ...init });
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, headers: res.headers, body: isJson ? JSON.parse(text) : text };
}

const test = suite('startFlakyApi');

test('a call without Idempotency-Key is a 400 with no side effect', async () => {
  const api = await startFlakyApi();
  const res = await call(api, null);
  assert.is(res.status, 400);
  assert.equal(api.stats().byStatus, { 400: 1 });
  assert.is(api.stats().sideEffects, 0);
  await api.close();
});

test('a repeated key replays the stored response with no second side effect', async () => {
  const api = await startFlakyApi();
  const first = await call(api, 'k1', { n: 1 });
  const again = await call(api, 'k1', { n: 2 });
  assert.is(first.status, 200);
  assert.equal(first.body, { ok: true, key: 'k1', payload: { n: 1 } });
  assert.equal(again.body, first.body);
  assert.is(again.headers.get('idempotent-replayed'), 'true');
  assert.is(api.sideEffectsFor('k1'), 1);
  const stats = api.stats();
  assert.is(stats.calls, 2);
  assert.is(stats.sideEffects, 1);
  assert.is(stats.keysWithEffect, 1);
  assert.is(stats.duplicateKeys, 0);
  assert.is(stats.replays, 1);
  await api.close();
});

test('scripted steps play in order, then plain success; failures have no side effect', async () => {
  const api = await startFlakyApi();
  api.script('k', ['500', { status: 429, retryAfter: 2 }, { status: 503, retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT' }]);
  assert.is((await call(api, 'k')).status, 500);
  assert.is(api.sideEffectsFor('k'), 0);
  const throttled = await call(api, 'k');
  assert.is(throttled.status, 429);
  assert.is(throttled.headers.get('retry-after'), '2');
  assert.is((await call(api, 'k')).headers.get('retry-after'), 'Wed, 21 Oct 2015 07:28:00 GMT');
  assert.is((await call(api, 'k')).status, 200);
  assert.is(api.sideEffectsFor('k'), 1);
  assert.equal(api.stats().byStatus, { 200: 1, 429: 1, 500: 1, 503: 1 });
  await api.close();
});

test('a scripted body is sent as JSON, or as text when a string', async () => {
  const api = await startFlakyApi();
  api.script('a', [{ status: 201, body: { id: 9 } }]);
  api.script('b', [{ status: 400, body: 'bad input' }]);
  assert.equal((await call(api, 'a')).body, { id: 9 });
  assert.equal(await call(api, 'b').then((r) => [r.status, r.body]), [400, 'bad input']);
  await api.close();
});

test('permanentTypes answer 422 for a payload kind', async () => {
  const api = await startFlakyApi({ permanentTypes: ['bad'] });
  assert.is((await call(api, 'p', { kind: 'bad' })).status, 422);
  assert.is((await call(api, 'q', { kind: 'good' })).status, 200);
  assert.is(api.stats().sideEffects, 1);
  await api.close();
});

test('failRate and throttleRate inject 500s and 429s; configure() changes them live', async () => {
  const api = await startFlakyApi({ failRate: 1 });
  assert.is((await call(api, 'x')).status, 500);
  api.configure({ failRate: 0, throttleRate: 1, throttleRetryAfterS: 3 });
  const throttled = await call(api, 'x');
  assert.is(throttled.status, 429);
  assert.is(throttled.headers.get('retry-after'), '3');
  api.configure({ throttleRate: 0 });
  assert.is((await call(api, 'x')).status, 200);
  await api.close();
});

test('the same seed gives the same sequence of faults', async () => {
  const statuses = async () => {
    const api = await startFlakyApi({ failRate: 0.5, seed: 42 });
    const out = [];
    for (let i = 0; i < 20; i++) out.push((await call(api, `s${i}`)).status);
    await api.close();
    return out;
  };
  const first = await statuses();
  assert.equal(await statuses(), first);
  assert.ok(first.includes(500) && first.includes(200), first.join(','));
});

test('concurrent calls with one key perform the side effect once', async () => {
  const api = await startFlakyApi({ latencyMs: [20, 40] });
  const results = await Promise.all(Array.from({ length: 5 }, () => call(api, 'same')));
  assert.ok(results.every((r) => r.status === 200));
  assert.is(api.sideEffectsFor('same'), 1);
  assert.is(api.stats().replays, 4);
  await api.close();
});

test('a call whose client gave up still has its effect; the retry replays it', async () => {
  const api = await startFlakyApi();
  api.script('slow', [{ status: 200, delayMs: 300 }]);
  const aborted = await call(api, 'slow', {}, { signal: AbortSignal.timeout(50) }).catch((err) => err);
  assert.instance(aborted, Error);
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.is(api.sideEffectsFor('slow'), 1);
  const retry = await call(api, 'slow');
  assert.is(retry.headers.get('idempotent-replayed'), 'true');
  assert.is(api.sideEffectsFor('slow'), 1);
  await api.close();
});

test('a hang never answers until the client aborts, and does not lock the key', async () => {
  const api = await startFlakyApi();
  api.script('h', ['hang']);
  const started = Date.now();
  const hung = await call(api, 'h', {}, { signal: AbortSignal.timeout(200) }).catch((err) => err);
  assert.is(hung.name, 'TimeoutError');
  assert.ok(Date.now() - started >= 150);
  assert.is((await call(api, 'h')).status, 200);
  assert.is(api.stats().byStatus.hang, 1);
  await api.close();
});

test('close() ends hanging requests', async () => {
  const api = await startFlakyApi({ hangRate: 1 });
  const pending = call(api, 'z').catch((err) => err);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await api.close();
  assert.instance(await pending, Error);
});

test('a reset step drops the connection', async () => {
  const api = await startFlakyApi();
  api.script('r', ['reset']);
  const err = await call(api, 'r').catch((error) => error);
  assert.instance(err, TypeError, 'fetch failed');
  assert.is(api.stats().byStatus.reset, 1);
  await api.close();
});

test('quota: calls beyond the limit in the sliding window get 429 with a Retry-After, and no side effect', async () => {
  const api = await startFlakyApi({ quota: { limit: 3, windowMs: 1000 } });
  const answers = [];
  for (let i = 0; i < 5; i += 1) answers.push(await call(api, `q${i}`));
  assert.equal(answers.map((r) => r.status), [200, 200, 200, 429, 429]);
  assert.is(answers[3].headers.get('retry-after'), '1');
  assert.is(api.stats().sideEffects, 3);
  const [slot] = api.stats().timeline;
  assert.equal([slot.calls, slot.ok, slot.throttled], [5, 3, 2]);
  await api.close();
});

test('outage: every call gets 503 until it ends; outageCalls and recoveryMs are counted', async () => {
  const api = await startFlakyApi();
  api.configure({ outage: true });
  assert.is((await call(api, 'o1')).status, 503);
  assert.is((await call(api, 'o1')).status, 503);
  assert.is(api.stats().sideEffectsFor, undefined);
  api.configure({ outage: false });
  assert.is(api.stats().recoveryMs, null, 'no 2xx yet after the outage');
  assert.is((await call(api, 'o1')).status, 200);
  const stats = api.stats();
  assert.equal([stats.outageCalls, stats.sideEffects], [2, 1]);
  assert.ok(stats.recoveryMs >= 0 && stats.recoveryMs < 1000, `recoveryMs ${stats.recoveryMs}`);
  assert.throws(() => api.configure({ quota: { limit: 0, windowMs: 1000 } }), /quota/);
  await api.close();
});

test('reset() forgets counters, stored responses and scripts', async () => {
  const api = await startFlakyApi();
  await call(api, 'k');
  api.script('j', ['500']);
  api.reset();
  assert.equal(api.stats(), { calls: 0, byStatus: {}, sideEffects: 0, duplicateKeys: 0, keysWithEffect: 0, replays: 0, connections: 0, timeline: [], outageCalls: 0, recoveryMs: null });
  assert.is((await call(api, 'j')).status, 200);
  assert.is(api.sideEffectsFor('k'), 0);
  await api.close();
});

test('requests() logs keyed calls with the tasklane headers', async () => {
  const api = await startFlakyApi();
  await call(api, 'k', { n: 1 }, { headers: { 'content-type': 'application/json', 'idempotency-key': 'k', 'x-tasklane-attempt': '2', 'x-tasklane-fence': '5' } });
  const [entry] = api.requests('k');
  assert.equal([entry.key, entry.attempt, entry.fence, entry.payload], ['k', 2, 5, { n: 1 }]);
  assert.equal(api.requests('other'), []);
  await api.close();
});

test('bad options and steps are rejected', async () => {
  const attempts = [{ failRate: 2 }, { latencyMs: [5, 1] }, { permanentTypes: 'x' }, { seed: -1 }];
  for (const options of attempts) {
    const err = await startFlakyApi(options).then(async (api) => { await api.close(); return null; }, (error) => error);
    assert.instance(err, TypeError, JSON.stringify(options));
  }
  const api = await startFlakyApi();
  assert.throws(() => api.script('k', ['maybe']), /Expected a step/);
  assert.throws(() => api.script('k', [99]), /from 200 to 599/);
  await api.close();
});

test.run();
