import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHttpHandler, HttpRequestError, HttpStatusError, NonRetryableError, OptionError, TaskTimeoutError } from '../../dist/index.js';
import { createServer } from 'node:http';
import { createActor } from '../../dist/index.js';
import { startFlakyApi } from '../../scripts/lib/flaky-api.mjs';
import { MemoryStore, until } from '../helpers/memory-store.mjs';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };

let counter = 0;
/** A lease with an id no other test uses, so scripted keys never collide. */
function lease(payload = { n: 1 }, id = `task-${process.pid}-${++counter}`) {
  const now = Date.now();
  return { id, fence: 7, attempt: 3, owner: 'w1', type: 'http', payload, lane: 'short', priority: 1000, timeoutMs: 0, maxAttempts: 5, createdAt: now, expiresAt: now + 30_000, leaseMs: 30_000 };
}

function context(task, signal = new AbortController().signal) {
  return { signal, attempt: task.attempt, fence: task.fence, heartbeat: async () => true, log: silent };
}

/** Runs the handler once for `task`; resolves with the error when it rejects. */
async function run(handler, task, signal) {
  try {
    return { result: await handler(task, context(task, signal)) };
  } catch (error) {
    return { error };
  }
}

const fast = { quickRetryMinMs: 10, quickRetryMaxMs: 40 };

const test = suite('createHttpHandler');
let api;
let http;

test.before(async () => {
  api = await startFlakyApi();
  http = createHttpHandler({ url: `${api.url}/tasks?v=1`, ...fast });
});
test.after(async () => {
  await http.close();
  await api.close();
});

test('a 2xx resolves with the status and the JSON body', async () => {
  const task = lease({ kind: 'email', to: 'a@example.com' });
  const { result } = await run(http, task);
  assert.equal(result, { status: 200, body: { ok: true, key: task.id, payload: { kind: 'email', to: 'a@example.com' } } });
  assert.is(api.sideEffectsFor(task.id), 1);
});

test('a non-JSON 2xx body is kept as text; an empty one is null', async () => {
  const text = lease();
  api.script(text.id, [{ status: 201, body: 'created' }]);
  assert.equal((await run(http, text)).result, { status: 201, body: 'created' });
  const empty = lease();
  api.script(empty.id, [{ status: 204, body: '' }]);
  assert.equal((await run(http, empty)).result, { status: 204, body: null });
});

test('every try sends the payload, content-type, Idempotency-Key, attempt and fence', async () => {
  const task = lease({ n: 42 });
  api.script(task.id, ['500', '503', 200]);
  const { result } = await run(http, task);
  assert.is(result.status, 200);
  const seen = api.requests(task.id);
  assert.is(seen.length, 3);
  for (const request of seen) {
    assert.is(request.headers['idempotency-key'], task.id);
    assert.is(request.headers['content-type'], 'application/json');
    assert.is(request.headers['x-tasklane-attempt'], '3');
    assert.is(request.headers['x-tasklane-fence'], '7');
    assert.equal(request.payload, { n: 42 });
  }
  assert.is(api.sideEffectsFor(task.id), 1);
});

test('an id that is not a plain header token is sent percent-encoded', async () => {
  const task = lease({}, `tâche ${counter++}\n`);
  const { result } = await run(http, task);
  assert.is(result.status, 200);
  assert.is(api.requests(encodeURIComponent(task.id)).length, 1);
});

test('a 500 then a 200 succeeds within the quick retries', async () => {
  const task = lease();
  api.script(task.id, ['500', 200]);
  const { result, error } = await run(http, task);
  assert.is(error, undefined);
  assert.is(result.status, 200);
  assert.is(api.requests(task.id).length, 2);
});

test('a network error (connection reset) is retried in-process', async () => {
  const task = lease();
  api.script(task.id, ['reset', 200]);
  const { result } = await run(http, task);
  assert.is(result.status, 200);
});

test('a 422 is permanent: tried once, non-retryable HttpStatusError with status and excerpt', async () => {
  const task = lease();
  api.script(task.id, [{ status: 422, body: { error: 'field `email` is required' } }]);
  const { error } = await run(http, task);
  assert.instance(error, HttpStatusError);
  assert.is(error.code, 'TASKLANE_ERR_HTTP_STATUS');
  assert.is(error.status, 422);
  assert.is(error.retryable, false);
  assert.is(error.retryAfterMs, undefined);
  assert.match(error.bodyExcerpt, 'field `email` is required');
  assert.match(error.message, '422');
  assert.match(error.message, 'field `email` is required');
  assert.is(api.requests(task.id).length, 1);
  assert.is(api.sideEffectsFor(task.id), 0);
});

test('the excerpt is cut at bodyExcerptBytes and kept on one line', async () => {
  const short = createHttpHandler({ url: api.url, bodyExcerptBytes: 12 });
  const task = lease();
  api.script(task.id, [{ status: 400, body: 'line one\nline two\nline three' }]);
  const { error } = await run(short, task);
  assert.is(error.bodyExcerpt, 'line one lin…');
  await short.close();
});

test('error bodies are drained, so one keep-alive connection serves every call', async () => {
  const local = await startFlakyApi();
  const one = createHttpHandler({ url: local.url, connections: 1, ...fast });
  for (let i = 0; i < 5; i++) {
    const task = lease();
    local.script(task.id, [{ status: 500, body: 'x'.repeat(100_000) }, { status: 404, body: 'y'.repeat(100_000) }]);
    // An undrained body would pin the only connection and hang the next call; fail instead.
    const { error } = await run(one, task, AbortSignal.timeout(5000));
    assert.is(error.status, 404);
  }
  assert.is(local.stats().calls, 10);
  assert.is(local.stats().connections, 1);
  await one.close();
  await local.close();
});

test('a 429 with a short Retry-After is waited out in-process', async () => {
  const task = lease();
  api.script(task.id, [{ status: 429, retryAfter: 1 }, 200]);
  const started = Date.now();
  const { result } = await run(http, task);
  assert.is(result.status, 200);
  assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
  const [first, second] = api.requests(task.id);
  assert.ok(second && first, 'two tries');
});

test('a long Retry-After in seconds is handed back with retryAfterMs, not waited', async () => {
  const task = lease();
  api.script(task.id, [{ status: 503, retryAfter: 30 }]);
  const started = Date.now();
  const { error } = await run(http, task);
  assert.instance(error, HttpStatusError);
  assert.is(error.status, 503);
  assert.is(error.retryable, true);
  assert.is(error.retryAfterMs, 30_000);
  assert.ok(Date.now() - started < 5000);
  assert.is(api.requests(task.id).length, 1);
});

test('a long Retry-After as an HTTP date is handed back with retryAfterMs', async () => {
  const task = lease();
  api.script(task.id, [{ status: 429, retryAfter: new Date(Date.now() + 60_000).toUTCString() }]);
  const { error } = await run(http, task);
  assert.is(error.status, 429);
  assert.is(error.retryable, true);
  assert.ok(error.retryAfterMs > 55_000 && error.retryAfterMs <= 60_000, `retryAfterMs ${error.retryAfterMs}`);
  assert.is(api.requests(task.id).length, 1);
});

test('quick retries exhausted: the last status error is thrown as retryable', async () => {
  const task = lease();
  api.script(task.id, ['500', '502', { status: 503, body: 'down for maintenance' }, 200]);
  const { error } = await run(http, task);
  assert.instance(error, HttpStatusError);
  assert.not.instance(error, NonRetryableError);
  assert.is(error.status, 503);
  assert.is(error.retryable, true);
  assert.is(error.bodyExcerpt, 'down for maintenance');
  assert.is(api.requests(task.id).length, 3, 'first try + 2 quick retries');
});

test('quick retries exhausted on network errors: a retryable HttpRequestError', async () => {
  const task = lease();
  api.script(task.id, ['reset', 'reset', 'reset']);
  const { error } = await run(http, task);
  assert.instance(error, HttpRequestError);
  assert.is(error.code, 'TASKLANE_ERR_HTTP_REQUEST');
  assert.is(error.retryable, true);
  assert.ok(error.cause, 'keeps the undici error');
});

test('an unreachable API is a retryable HttpRequestError', async () => {
  const gone = await startFlakyApi();
  const url = gone.url;
  await gone.close();
  const handler = createHttpHandler({ url, quickRetries: 1, ...fast });
  const { error } = await run(handler, lease());
  assert.instance(error, HttpRequestError);
  assert.is(error.retryable, true);
  await handler.close();
});

test('aborting the signal aborts a hanging request promptly, with the abort reason', async () => {
  const task = lease();
  api.script(task.id, ['hang']);
  const controller = new AbortController();
  const reason = new TaskTimeoutError(200);
  setTimeout(() => controller.abort(reason), 200);
  const started = Date.now();
  const { error } = await run(http, task, controller.signal);
  assert.is(error, reason);
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  assert.is(api.requests(task.id).length, 1, 'no retry after the abort');
  assert.is(api.sideEffectsFor(task.id), 0);
});

test('aborting during an in-process Retry-After wait stops at once', async () => {
  const patient = createHttpHandler({ url: api.url, maxInProcessRetryAfterMs: 60_000, ...fast });
  const task = lease();
  api.script(task.id, [{ status: 429, retryAfter: 20 }, 200]);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('lease lost')), 150);
  const started = Date.now();
  const { error } = await run(patient, task, controller.signal);
  assert.is(error.message, 'lease lost');
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms of a 20 s wait`);
  assert.is(api.requests(task.id).length, 1);
  await patient.close();
});

test('a long-lane call the API never answers times out after apiTimeoutMs, once, as a retryable failure', async () => {
  const patient = createHttpHandler({ url: api.url, apiTimeoutMs: 300, ...fast });
  const task = { ...lease(), lane: 'long' };
  api.script(task.id, ['hang', 'hang', 'hang']);
  const started = Date.now();
  const { error } = await run(patient, task);
  const tookMs = Date.now() - started;
  assert.instance(error, HttpRequestError);
  assert.is(error.retryable, true);
  assert.is(error.cause?.code, 'UND_ERR_HEADERS_TIMEOUT');
  // No quick retry after a timeout: another full wait would only hold the slot longer.
  assert.ok(tookMs >= 280 && tookMs < 1500, `took ${tookMs} ms`);
  assert.is(api.requests(task.id).length, 1);
  assert.is(patient.calls().timeout, 1);
  await patient.close();
});

test('a long-lane response whose body stalls times out after apiTimeoutMs (bodyTimeout)', async () => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"partial":'); // and nothing more
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const patient = createHttpHandler({ url: `http://127.0.0.1:${server.address().port}/`, apiTimeoutMs: 300, ...fast });
  try {
    const started = Date.now();
    const { error } = await run(patient, { ...lease(), lane: 'long' });
    assert.instance(error, HttpRequestError);
    assert.is(error.cause?.code, 'UND_ERR_BODY_TIMEOUT');
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  } finally {
    await patient.close().catch(() => {});
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a short-lane call is bounded by its deadline, not by apiTimeoutMs', async () => {
  const patient = createHttpHandler({ url: api.url, apiTimeoutMs: 100, ...fast });
  const task = lease();
  api.script(task.id, [{ status: 200, delayMs: 400 }]);
  const started = Date.now();
  const { result, error } = await run(patient, task);
  assert.is(error, undefined, `failed: ${error?.message}`);
  assert.ok(Date.now() - started >= 380, 'the API took longer than apiTimeoutMs to answer');
  assert.is(result.status, 200);
  await patient.close();
});

test('a long-lane http task against an API that never answers is failed by the actor as a retryable timeout', async () => {
  const patient = createHttpHandler({ url: api.url, apiTimeoutMs: 200, ...fast });
  const store = new MemoryStore();
  const actor = createActor({ lane: 'long', store, owner: 'w-api', handlers: { http: patient }, idleWaitMs: 20 });
  const [id] = store.add({ type: 'http', lane: 'long' });
  api.script(id, ['hang']);
  actor.start();
  await until(() => store.failures.length === 1, { what: 'the failure', timeoutMs: 3000 });
  const [failure] = store.failures;
  assert.is(failure.lease.id, id);
  assert.is(failure.error.name, 'HttpRequestError');
  assert.match(failure.error.message, /UND_ERR_HEADERS_TIMEOUT/);
  assert.is(failure.options.retryable, undefined, 'not marked non-retryable');
  assert.is(failure.outcome, 'retrying');
  await actor.stop();
  await patient.close();
});

test('an already aborted signal sends nothing', async () => {
  const task = lease();
  const { error } = await run(http, task, AbortSignal.abort(new Error('shutting down')));
  assert.is(error.message, 'shutting down');
  assert.is(api.requests(task.id).length, 0);
});

test('a repeated task id is answered from the stored response: one side effect', async () => {
  const task = lease({ charge: 5 });
  const first = await run(http, task);
  const again = await run(http, { ...task, attempt: 4, fence: 8 });
  assert.equal(again.result, first.result);
  assert.is(api.sideEffectsFor(task.id), 1);
  assert.is(api.stats().duplicateKeys, 0);
});

test('after close() a call fails as retryable without reaching the API', async () => {
  const handler = createHttpHandler({ url: api.url, ...fast });
  await handler.close();
  await handler.close();
  const task = lease();
  const { error } = await run(handler, task);
  assert.instance(error, HttpRequestError);
  assert.is(error.retryable, true);
  assert.is(api.requests(task.id).length, 0);
});

test.run();

const options = suite('createHttpHandler options');

options('rejects a missing or non-http url', () => {
  for (const url of [undefined, '', 'not a url', 'ftp://example.com/x', 42]) {
    assert.throws(() => createHttpHandler({ url }), (err) => err instanceof OptionError && err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === 'url');
  }
});

options('rejects credentials in the url', () => {
  assert.throws(() => createHttpHandler({ url: 'https://user:pw@example.com/' }), (err) => err instanceof OptionError && err.option === 'url');
});

options('rejects out-of-range numbers with p-queue style messages', () => {
  const cases = [
    ['connections', 0, 'Expected `connections` to be an integer from 1 and up, got `0` (number)'],
    ['quickRetries', -1, 'Expected `quickRetries` to be an integer from 0 and up, got `-1` (number)'],
    ['quickRetryMinMs', 1.5, 'Expected `quickRetryMinMs` to be an integer from 0 and up, got `1.5` (number)'],
    ['maxInProcessRetryAfterMs', '5', 'Expected `maxInProcessRetryAfterMs` to be an integer from 0 and up, got `"5"` (string)'],
    ['bodyExcerptBytes', null, 'Expected `bodyExcerptBytes` to be an integer from 0 and up, got `null` (null)'],
  ];
  for (const [name, value, message] of cases) {
    try {
      createHttpHandler({ url: 'http://127.0.0.1:1', [name]: value });
      assert.unreachable(`${name} accepted ${value}`);
    } catch (error) {
      assert.instance(error, OptionError);
      assert.is(error.option, name);
      assert.is(error.message, message);
    }
  }
});

options('rejects a bad apiTimeoutMs or connectTimeoutMs, naming it', () => {
  assert.throws(() => createHttpHandler({ url: 'http://127.0.0.1:1', apiTimeoutMs: 0 }), /Expected `apiTimeoutMs` to be an integer from 1 and up, got `0`/);
  assert.throws(() => createHttpHandler({ url: 'http://127.0.0.1:1', connectTimeoutMs: 1.5 }), /Expected `connectTimeoutMs` to be an integer from 1 and up/);
});

options('quickRetryMaxMs may not be below quickRetryMinMs', () => {
  assert.throws(() => createHttpHandler({ url: 'http://127.0.0.1:1', quickRetryMinMs: 500, quickRetryMaxMs: 100 }), /from 500 and up/);
});

options.run();
