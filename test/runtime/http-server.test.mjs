// The operator HTTP server in this process (createOperatorServer) against the test
// redis-server: every route, auth, body limits and validation, 404/405, static files.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOperatorServer, createRuntime, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, sleep, uniqueName } from '../helpers/backends.mjs';
import { send } from '../helpers/http.mjs';
import { parseExposition, sampleValue } from '../helpers/prometheus.mjs';

/** A queue of its own and a server on a free loopback port. */
async function serve(options = {}) {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('http') });
  queue.on('queue:warning', () => {});
  const server = createOperatorServer({ queue, port: 0, ...options });
  const { url } = await server.listen();
  const call = async (method, path, { body, headers = {}, raw } = {}) => {
    const init = { method, headers: { ...headers } };
    if (body !== undefined || raw !== undefined) {
      init.body = raw ?? JSON.stringify(body);
      init.headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${url}${path}`, init);
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  const close = async () => {
    await server.close();
    await queue.close();
  };
  return { queue, server, url, call, close };
}

/** Dead-letters `id` the way a worker would: claim it, fail it as not retryable. */
async function kill(queue, id) {
  await queue.enqueue({ id, type: 'job' });
  const [lease] = await queue.claim('short', { max: 1, leaseMs: 10_000, owner: 'test' });
  assert.is(lease?.id, id);
  assert.is(await queue.fail(lease, new Error(`${id} failed`), { retryable: false }), 'dead');
}

const tasks = suite('http: tasks');

tasks('POST /tasks enqueues one task: 201 when created, 200 when a duplicate', async () => {
  const s = await serve();
  try {
    let r = await s.call('POST', '/tasks', { body: { id: 'one', type: 'email', payload: { to: 'a' }, priority: 5 } });
    assert.is(r.status, 201);
    assert.equal(r.json, { id: 'one', duplicate: false });
    r = await s.call('POST', '/tasks', { body: { id: 'one' } });
    assert.is(r.status, 200);
    assert.equal(r.json, { id: 'one', duplicate: true });
    const stored = await s.queue.get('one');
    assert.is(stored.type, 'email');
    assert.is(stored.priority, 5);
    r = await s.call('POST', '/tasks', { body: {} });
    assert.is(r.status, 201);
    assert.type(r.json.id, 'string');
  } finally {
    await s.close();
  }
});

tasks('POST /tasks with an array enqueues the batch in order; 200 when all are duplicates', async () => {
  const s = await serve();
  try {
    let r = await s.call('POST', '/tasks', { body: [{ id: 'a' }, { id: 'b', lane: 'long' }, { id: 'a' }] });
    assert.is(r.status, 201);
    assert.equal(r.json, [{ id: 'a', duplicate: false }, { id: 'b', duplicate: false }, { id: 'a', duplicate: true }]);
    r = await s.call('POST', '/tasks', { body: [{ id: 'a' }, { id: 'b' }] });
    assert.is(r.status, 200);
    assert.equal(r.json.map((x) => x.duplicate), [true, true]);
    assert.equal((await s.queue.stats()).waiting, { short: 1, long: 1 });
  } finally {
    await s.close();
  }
});

tasks('GET /tasks/:id answers the TaskInfo, 404 with a code when unknown; ids are percent-decoded', async () => {
  const s = await serve();
  try {
    await s.queue.enqueue({ id: 'a/b ü', payload: [1, 2] });
    let r = await s.call('GET', `/tasks/${encodeURIComponent('a/b ü')}`);
    assert.is(r.status, 200);
    assert.is(r.json.id, 'a/b ü');
    assert.is(r.json.state, 'waiting');
    assert.equal(r.json.payload, [1, 2]);
    r = await s.call('GET', '/tasks/nope');
    assert.is(r.status, 404);
    assert.is(r.json.error.code, 'TASKLANE_ERR_NOT_FOUND');
    r = await s.call('GET', '/tasks/%E0%A4%A');
    assert.is(r.status, 400);
    assert.is(r.json.error.field, 'id');
  } finally {
    await s.close();
  }
});

tasks('DELETE /tasks/:id cancels a waiting task; 409 once it is past waiting; 404 when unknown', async () => {
  const s = await serve();
  try {
    await s.queue.enqueue({ id: 'c' });
    let r = await s.call('DELETE', '/tasks/c');
    assert.is(r.status, 200);
    assert.equal(r.json, { id: 'c', cancelled: true });
    assert.is((await s.queue.get('c')).state, 'cancelled');
    r = await s.call('DELETE', '/tasks/c');
    assert.is(r.status, 409);
    assert.is(r.json.error.code, 'TASKLANE_ERR_NOT_CANCELLABLE');
    assert.match(r.json.error.message, /cancelled/);
    r = await s.call('DELETE', '/tasks/ghost');
    assert.is(r.status, 404);
    assert.is(r.json.error.code, 'TASKLANE_ERR_NOT_FOUND');
  } finally {
    await s.close();
  }
});

tasks('GET /stats answers queue.stats()', async () => {
  const s = await serve();
  try {
    await s.queue.enqueueMany([{}, { lane: 'long' }, { delayMs: 60_000 }]);
    const r = await s.call('GET', '/stats');
    assert.is(r.status, 200);
    assert.equal(r.json, { waiting: { short: 1, long: 1 }, delayed: 1, active: 0, completed: 0, dead: 0, paused: { short: false, long: false } });
  } finally {
    await s.close();
  }
});

tasks.run();

const dead = suite('http: dead letters');

dead('GET /dead lists dead letters most recent first, with limit and offset', async () => {
  const s = await serve();
  try {
    for (const id of ['d1', 'd2', 'd3']) await kill(s.queue, id);
    let r = await s.call('GET', '/dead');
    assert.is(r.status, 200);
    assert.equal(r.json.tasks.map((t) => t.id).sort(), ['d1', 'd2', 'd3']);
    assert.is(r.json.tasks[0].error.message, `${r.json.tasks[0].id} failed`);
    r = await s.call('GET', '/dead?limit=2&offset=1');
    assert.is(r.json.tasks.length, 2);
    assert.is(r.json.limit, 2);
    assert.is(r.json.offset, 1);
    assert.is(r.json.nextOffset, 3, 'a full page says where the next one starts');
    r = await s.call('GET', '/dead?limit=5&offset=1');
    assert.equal([r.json.tasks.length, r.json.nextOffset], [2, null], 'the last page says none is left');
    r = await s.call('GET', '/dead?limit=abc');
    assert.is(r.status, 400);
    assert.is(r.json.error.code, 'TASKLANE_ERR_INVALID_INPUT');
    assert.is(r.json.error.field, 'limit');
    r = await s.call('GET', '/dead?limit=0');
    assert.is(r.status, 400);
    assert.is(r.json.error.field, 'limit');
  } finally {
    await s.close();
  }
});

dead('POST /dead/:id/retry replays one; DELETE /dead/:id purges one; 404 when not a dead letter', async () => {
  const s = await serve();
  try {
    await kill(s.queue, 'r1');
    await kill(s.queue, 'p1');
    let r = await s.call('POST', '/dead/r1/retry');
    assert.is(r.status, 200);
    assert.equal(r.json, { id: 'r1', retried: true });
    assert.is((await s.queue.get('r1')).state, 'waiting');
    r = await s.call('POST', '/dead/r1/retry');
    assert.is(r.status, 404);
    assert.is(r.json.error.code, 'TASKLANE_ERR_NOT_FOUND');
    r = await s.call('DELETE', '/dead/p1');
    assert.is(r.status, 200);
    assert.equal(r.json, { id: 'p1', purged: true });
    assert.is(await s.queue.get('p1'), null);
    r = await s.call('DELETE', '/dead/p1');
    assert.is(r.status, 404);
  } finally {
    await s.close();
  }
});

dead('POST /dead/retry replays all; DELETE /dead purges all', async () => {
  const s = await serve();
  try {
    for (const id of ['a1', 'a2']) await kill(s.queue, id);
    let r = await s.call('POST', '/dead/retry');
    assert.is(r.status, 200);
    assert.equal(r.json, { retried: 2 });
    assert.is((await s.queue.stats()).waiting.short, 2);
    await s.queue.cancel('a1');
    await s.queue.cancel('a2');
    for (const id of ['b1', 'b2', 'b3']) await kill(s.queue, id);
    r = await s.call('DELETE', '/dead');
    assert.equal([r.status, r.json], [200, { purged: 3 }]);
    assert.is((await s.queue.stats()).dead, 0);
  } finally {
    await s.close();
  }
});

dead.run();

const bodies = suite('http: bad requests');

bodies('invalid JSON, an empty body and a non-JSON content type are refused with codes', async () => {
  const s = await serve();
  try {
    let r = await s.call('POST', '/tasks', { raw: '{"id": ' });
    assert.is(r.status, 400);
    assert.is(r.json.error.code, 'TASKLANE_ERR_INVALID_JSON');
    r = await s.call('POST', '/tasks', { raw: '' });
    assert.is(r.status, 400);
    assert.is(r.json.error.code, 'TASKLANE_ERR_INVALID_JSON');
    r = await s.call('POST', '/tasks', { raw: 'id=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.is(r.status, 415);
    assert.is(r.json.error.code, 'TASKLANE_ERR_UNSUPPORTED_MEDIA_TYPE');
    r = await s.call('POST', '/tasks', { body: 42 });
    assert.is(r.status, 400);
    assert.equal([r.json.error.code, r.json.error.field], ['TASKLANE_ERR_INVALID_INPUT', 'body']);
    assert.is((await s.queue.stats()).waiting.short, 0);
  } finally {
    await s.close();
  }
});

bodies('an invalid TaskInput is 400 with the field the library names; a bad batch stores nothing', async () => {
  const s = await serve();
  try {
    let r = await s.call('POST', '/tasks', { body: { priority: -1 } });
    assert.is(r.status, 400);
    assert.equal([r.json.error.code, r.json.error.field], ['TASKLANE_ERR_INVALID_INPUT', 'priority']);
    assert.match(r.json.error.message, /priority/);
    r = await s.call('POST', '/tasks', { body: { lane: 'medium' } });
    assert.is(r.json.error.field, 'lane');
    r = await s.call('POST', '/tasks', { body: { colour: 'red' } });
    assert.is(r.status, 400);
    r = await s.call('POST', '/tasks', { body: [{ id: 'ok' }, { maxAttempts: 0 }] });
    assert.is(r.status, 400);
    assert.is(r.json.error.field, 'inputs[1].maxAttempts');
    assert.is(await s.queue.get('ok'), null);
  } finally {
    await s.close();
  }
});

bodies('a body over the limit is 413, whether declared or streamed', async () => {
  const s = await serve({ bodyLimitBytes: 100 });
  try {
    let r = await s.call('POST', '/tasks', { body: { payload: 'x'.repeat(200) } });
    assert.is(r.status, 413);
    assert.is(r.json.error.code, 'TASKLANE_ERR_BODY_TOO_LARGE');
    // Chunked, no Content-Length: refused once the stream passes the limit.
    const streamed = await new Promise((resolve, reject) => {
      const req = httpRequest(`${s.url}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.write('{"payload":"');
      req.write('y'.repeat(150));
      req.end('"}');
    });
    assert.is(streamed.status, 413);
    assert.is(streamed.json.error.code, 'TASKLANE_ERR_BODY_TOO_LARGE');
    r = await s.call('POST', '/tasks', { body: { id: 'small' } });
    assert.is(r.status, 201);
  } finally {
    await s.close();
  }
});

bodies('an unknown route is 404 and a wrong method 405 with Allow, both coded', async () => {
  const s = await serve();
  try {
    let r = await s.call('GET', '/nope');
    assert.is(r.status, 404);
    assert.is(r.json.error.code, 'TASKLANE_ERR_NOT_FOUND');
    // GET /tasks lists tasks by state (browse-routes); PUT is still no method of it.
    r = await s.call('PUT', '/tasks');
    assert.is(r.status, 405);
    assert.equal(r.headers.get('allow').split(', ').sort(), ['DELETE', 'GET', 'HEAD', 'POST']);
    assert.is(r.json.error.code, 'TASKLANE_ERR_METHOD_NOT_ALLOWED');
    r = await s.call('PUT', '/tasks/x');
    assert.is(r.status, 405);
    assert.equal(r.headers.get('allow').split(', ').sort(), ['DELETE', 'GET', 'HEAD']);
    r = await s.call('GET', '/dead/retry');
    assert.is(r.status, 405);
    assert.equal(r.headers.get('allow').split(', ').sort(), ['DELETE', 'POST']);
    r = await s.call('HEAD', '/healthz');
    assert.is(r.status, 200);
  } finally {
    await s.close();
  }
});

bodies.run();

const auth = suite('http: auth');

auth('with a token, mutations need it (401 coded otherwise); reads do not', async () => {
  const s = await serve({ token: 's3cret-token' });
  try {
    let r = await s.call('POST', '/tasks', { body: { id: 't' } });
    assert.is(r.status, 401);
    assert.is(r.json.error.code, 'TASKLANE_ERR_UNAUTHORIZED');
    assert.match(r.headers.get('www-authenticate'), /^Bearer/);
    r = await s.call('POST', '/tasks', { body: { id: 't' }, headers: { authorization: 'Bearer s3cret-tokem' } });
    assert.is(r.status, 401);
    r = await s.call('POST', '/tasks', { body: { id: 't' }, headers: { authorization: 'Basic czNjcmV0LXRva2Vu' } });
    assert.is(r.status, 401);
    r = await s.call('DELETE', '/dead', { headers: { authorization: 'Bearer s3cret-token-and-more' } });
    assert.is(r.status, 401);
    assert.is(await s.queue.get('t'), null);
    r = await s.call('POST', '/tasks', { body: { id: 't' }, headers: { authorization: 'Bearer s3cret-token' } });
    assert.is(r.status, 201);
    r = await s.call('GET', '/tasks/t');
    assert.is(r.status, 200);
    r = await s.call('GET', '/overview');
    assert.is(r.json.auth, true);
  } finally {
    await s.close();
  }
});

auth('on loopback without a token, mutations are allowed', async () => {
  const s = await serve();
  try {
    const r = await s.call('POST', '/tasks', { body: { id: 'free' } });
    assert.is(r.status, 201);
    assert.is((await s.call('GET', '/overview')).json.auth, false);
  } finally {
    await s.close();
  }
});

auth('a server beyond loopback without a token is refused at creation', () => {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('http') });
  queue.on('queue:warning', () => {});
  try {
    for (const host of ['0.0.0.0', '::', '192.0.2.1', 'example.com']) {
      try {
        createOperatorServer({ queue, host, port: 0 });
        assert.unreachable(`${host} without a token should be refused`);
      } catch (err) {
        assert.is(err.code, 'TASKLANE_ERR_INVALID_OPTION');
        assert.is(err.option, 'token');
        assert.match(err.message, /--http-token/);
      }
    }
    createOperatorServer({ queue, host: '0.0.0.0', port: 0, token: 'x' }); // fine with a token (never listens)
  } finally {
    void queue.close();
  }
});

auth('a cross-origin browser request may not change the queue, even on loopback without a token', async () => {
  const s = await serve();
  try {
    let r = await s.call('POST', '/dead/retry', { headers: { origin: 'http://evil.example' } });
    assert.is(r.status, 403);
    assert.is(r.json.error.code, 'TASKLANE_ERR_FORBIDDEN');
    const host = new URL(s.url).host;
    r = await s.call('POST', '/dead/retry', { headers: { origin: `http://${host}` } });
    assert.is(r.status, 200);
  } finally {
    await s.close();
  }
});

auth.run();

const ops = suite('http: probes, metrics, overview, dashboard');

ops('GET /healthz is 200; /readyz follows Redis and the runtime', async () => {
  const name = uniqueName('ready');
  const queue = new TaskQueue({ redis: realRedisUrl(), name });
  queue.on('queue:warning', () => {});
  const runtime = createRuntime({ processes: 0, redis: realRedisUrl(), queue: name, short: 1, long: 0, logLevel: 'silent', handlers: {} });
  const server = createOperatorServer({ queue, runtime, port: 0 });
  const { url } = await server.listen();
  try {
    assert.is((await fetch(`${url}/healthz`)).status, 200);
    let res = await fetch(`${url}/readyz`);
    let body = await res.json();
    assert.is(res.status, 503);
    assert.is(body.error.code, 'TASKLANE_ERR_NOT_READY');
    assert.is(body.redis, 'up');
    assert.match(body.problems.join(' '), /the runtime is idle/);
    await runtime.start();
    res = await fetch(`${url}/readyz`);
    body = await res.json();
    assert.is(res.status, 200);
    assert.equal(body.runtime, { state: 'running', workers: 1, ready: 1, notReady: [] });
    await runtime.stop();
    res = await fetch(`${url}/readyz`);
    assert.is(res.status, 503);
    assert.match((await res.json()).problems.join(' '), /stopped/);
  } finally {
    await server.close();
    await queue.close();
  }
});

ops('/readyz is 503 within about a second when Redis does not answer', async () => {
  const queue = new TaskQueue({ redis: 'redis://127.0.0.1:1', name: uniqueName('down') });
  queue.on('queue:warning', () => {});
  queue.redis.on('error', () => {});
  const server = createOperatorServer({ queue, port: 0 });
  const { url } = await server.listen();
  try {
    const started = Date.now();
    const res = await fetch(`${url}/readyz`);
    const body = await res.json();
    assert.is(res.status, 503);
    assert.is(body.redis, 'down');
    // The bug this guards is a hang; the bound is loose so a loaded machine cannot fail it.
    assert.ok(Date.now() - started < 15_000);
    assert.is((await fetch(`${url}/healthz`)).status, 200);
  } finally {
    await server.close();
    const closing = queue.close().catch(() => {});
    queue.redis.disconnect();
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 500))]);
  }
});

ops('GET /metrics is a valid Prometheus exposition with the queue depth', async () => {
  const s = await serve();
  try {
    await s.queue.enqueueMany([{ type: 'a' }, { type: 'a', lane: 'long' }, { type: 'b' }]);
    const res = await fetch(`${s.url}/metrics`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const parsed = parseExposition(await res.text());
    assert.is(sampleValue(parsed, 'tasklane_queue_depth', { state: 'waiting', lane: 'short' }), 2);
    assert.is(sampleValue(parsed, 'tasklane_queue_depth', { state: 'waiting', lane: 'long' }), 1);
    assert.is(sampleValue(parsed, 'tasklane_tasks_enqueued_total', { type: 'a' }), 2);
    assert.is(sampleValue(parsed, 'tasklane_active_leases'), 0);
    assert.is(parsed.families.get('tasklane_tasks_enqueued_total'), 'counter');
  } finally {
    await s.close();
  }
});

ops('GET /overview has exactly the dashboard\'s shape, with priority bands', async () => {
  const s = await serve();
  try {
    await kill(s.queue, 'gone'); // first: kill() claims the most urgent waiting task
    await s.queue.enqueueMany([
      { priority: 0 }, { priority: 9 }, { priority: 10 }, { priority: 500 }, {}, { priority: 20_000 }, { lane: 'long', priority: 99 },
    ]);
    const before = Date.now();
    const { status, json } = await s.call('GET', '/overview');
    assert.is(status, 200);
    assert.equal(Object.keys(json).sort(), ['api', 'auth', 'bands', 'dead', 'latency', 'queue', 'runtime', 'stats', 'throughput', 'time']);
    assert.equal([json.api.scope, json.api.breaker.state, json.api.callsLastSecond, json.api.inFlight.count], ['http', 'closed', 0, 0]);
    assert.is(json.queue, s.queue.name);
    assert.ok(json.time >= before && json.time <= Date.now());
    assert.equal(json.stats, await s.queue.stats());
    assert.equal(json.bands.short.map((b) => [b.label, b.min, b.max, b.waiting]), [
      ['urgent', 0, 9, 2], ['high', 10, 99, 1], ['normal', 100, 999, 1], ['default', 1000, 9999, 1], ['low', 10000, 2147483647, 1],
    ]);
    assert.equal(json.bands.long.map((b) => b.waiting), [0, 1, 0, 0, 0]);
    assert.is(json.throughput.length, 300);
    assert.equal(Object.keys(json.throughput[0]).sort(), ['completed', 'dead', 'retried', 't']);
    assert.ok(json.throughput[0].t < json.throughput[299].t);
    assert.equal(json.latency, { waitP50Ms: null, waitP99Ms: null, durationP50Ms: null, durationP99Ms: null });
    assert.is(json.runtime, null);
    assert.equal(json.dead.map((t) => t.id), ['gone']);
    assert.is(json.auth, false);
  } finally {
    await s.close();
  }
});

ops('the dashboard and uPlot are served; nothing outside the dashboard directory is', async () => {
  const s = await serve();
  try {
    let res = await fetch(`${s.url}/`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(await res.text(), /<html|<!doctype/i);
    res = await fetch(`${s.url}/assets/uplot.js`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/javascript/);
    assert.match(await res.text(), /uPlot/);
    res = await fetch(`${s.url}/assets/uplot.css`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/css/);
    for (const path of ['/assets/package.json', '/dashboard/nope.js', '/dashboard/%2e%2e/server.js', '/dashboard/..%2Fserver.js', '/dashboard/.hidden', '/dashboard/a%5C..%5Cserver.js']) {
      res = await fetch(`${s.url}${path}`);
      assert.is(res.status, 404, path);
      assert.is((await res.json()).error.code, 'TASKLANE_ERR_NOT_FOUND');
    }
  } finally {
    await s.close();
  }
});

ops.run();

const never = () => new Promise(() => {});

/** A stand-in queue (no Redis) whose methods are the given ones; the rest never answer. */
function stubQueue(methods = {}) {
  return {
    name: 'stub', keys: { enqueuedCounts: 'x', waiting: () => 'w' }, redis: { hgetall: never, zcount: never, ping: never },
    stats: never, get: never, enqueue: never, enqueueMany: never, cancel: never, deadLetters: never, retryDead: never,
    purgeDead: never, retryAllDead: never, purgeAllDead: never, ...methods,
  };
}

async function serveStub(methods, options = {}) {
  const server = createOperatorServer({ queue: stubQueue(methods), port: 0, ...options });
  const { url } = await server.listen();
  return { url, close: () => server.close() };
}

/** HTTP/1.0 without a Host header (HTTP/1.1 without one is refused by Node itself). */
function withoutHost(url, path) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c) => { text += c; });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.0\r\n\r\n`);
  });
}

const review = suite('http: review regressions');

review('DNS rebinding: a loopback server refuses reads naming a foreign Host', async () => {
  const s = await serve();
  try {
    await s.queue.enqueue({ id: 'secret', payload: { card: '4111' } });
    const port = new URL(s.url).port;
    for (const path of ['/overview', '/tasks/secret', '/metrics', '/']) {
      const r = await send(s.url, 'GET', path, { headers: { host: `evil.example:${port}` } });
      assert.is(r.status, 403, path);
      assert.is(r.json.error.code, 'TASKLANE_ERR_FORBIDDEN', path);
      assert.match(r.json.error.message, /evil\.example/);
      assert.not.match(r.text, /4111/);
    }
    let r = await send(s.url, 'POST', '/tasks', { headers: { host: `evil.example:${port}`, 'content-type': 'application/json' }, body: '{"id":"x"}' });
    assert.is(r.status, 403);
    assert.is(await s.queue.get('x'), null);
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `127.0.0.1:${port}`, `127.3.4.5:${port}`, `[::1]:${port}`, 'localhost']) {
      r = await send(s.url, 'GET', '/tasks/secret', { headers: { host } });
      assert.is(r.status, 200, host);
    }
    assert.match(await withoutHost(s.url, '/overview'), /^HTTP\/1\.[01] 403 .*TASKLANE_ERR_FORBIDDEN/s);
  } finally {
    await s.close();
  }
});

review('DNS rebinding: the Host check also guards a loopback server with a token, and not a server off loopback', async () => {
  const s = await serve({ token: 'tok' });
  try {
    const r = await send(s.url, 'GET', '/tasks/x', { headers: { host: `evil.example:${new URL(s.url).port}` } });
    assert.equal([r.status, r.json.error.code], [403, 'TASKLANE_ERR_FORBIDDEN']);
  } finally {
    await s.close();
  }
  const open = await serveStub({ stats: async () => ({ waiting: { short: 0, long: 0 }, delayed: 0, active: 0, completed: 0, dead: 0 }) }, { host: '0.0.0.0', token: 'tok' });
  try {
    const port = new URL(open.url).port;
    // Off loopback the Host is not checked; the token is (reads included).
    let r = await send(`http://127.0.0.1:${port}`, 'GET', '/stats', { headers: { host: `tasks.example.com:${port}`, authorization: 'Bearer tok' } });
    assert.is(r.status, 200);
    r = await send(`http://127.0.0.1:${port}`, 'GET', '/stats', { headers: { host: `tasks.example.com:${port}` } });
    assert.equal([r.status, r.json.error.code], [401, 'TASKLANE_ERR_UNAUTHORIZED']);
  } finally {
    await open.close();
  }
});

review('route timeout: a change Redis did not confirm is 504 OUTCOME_UNKNOWN, a read 503 REDIS_UNAVAILABLE', async () => {
  const s = await serveStub({}, { routeTimeoutMs: 100 });
  try {
    let r = await send(s.url, 'POST', '/tasks', { headers: { 'content-type': 'application/json' }, body: '{"id":"a"}' });
    assert.is(r.status, 504);
    assert.is(r.json.error.code, 'TASKLANE_ERR_OUTCOME_UNKNOWN');
    assert.match(r.json.error.message, /may still be applied/);
    assert.match(r.json.error.message, /`id`/);
    r = await send(s.url, 'DELETE', '/tasks/a');
    assert.equal([r.status, r.json.error.code], [504, 'TASKLANE_ERR_OUTCOME_UNKNOWN']);
    r = await send(s.url, 'GET', '/tasks/a');
    assert.equal([r.status, r.json.error.code], [503, 'TASKLANE_ERR_REDIS_UNAVAILABLE']);
    r = await send(s.url, 'GET', '/stats');
    assert.equal([r.status, r.json.error.code], [503, 'TASKLANE_ERR_REDIS_UNAVAILABLE']);
  } finally {
    await s.close();
  }
});

review('route timeout: the chunked bulk routes POST /dead/retry and DELETE /dead are exempt', async () => {
  const s = await serveStub({
    retryDead: async () => (await sleep(400), true),
    retryAllDead: async () => (await sleep(400), 7),
    purgeAllDead: async () => (await sleep(400), 3),
  }, { routeTimeoutMs: 100 });
  try {
    // The control: a single replay that slow is past the route timeout.
    let r = await send(s.url, 'POST', '/dead/a/retry');
    assert.is(r.status, 504);
    r = await send(s.url, 'POST', '/dead/retry');
    assert.equal([r.status, r.json], [200, { retried: 7 }]);
    r = await send(s.url, 'DELETE', '/dead');
    assert.equal([r.status, r.json], [200, { purged: 3 }]);
  } finally {
    await s.close();
  }
});

review('route timeout: a slow upload is not 504 OUTCOME_UNKNOWN; the timeout starts once the body is read', async () => {
  const s = await serve({ routeTimeoutMs: 100 });
  try {
    const answer = await new Promise((resolve, reject) => {
      const req = httpRequest(`${s.url}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.write('{"id":"slow",');
      // Three times the route timeout between the first and the last byte of the body.
      setTimeout(() => req.end('"payload":1}'), 300);
    });
    assert.equal(answer, { status: 201, json: { id: 'slow', duplicate: false } });
    assert.is((await s.queue.get('slow')).payload, 1);
  } finally {
    await s.close();
  }
});

review('route timeout: routeTimeoutMs is checked', () => {
  for (const bad of [0, -1, 1.5, '100']) {
    assert.throws(() => createOperatorServer({ queue: stubQueue(), routeTimeoutMs: bad }), (err) => err.option === 'routeTimeoutMs', String(bad));
  }
});

review('POST /tasks refuses a batch over 1000 inputs and stores nothing; 1000 pass', async () => {
  const s = await serve();
  try {
    let r = await s.call('POST', '/tasks', { body: Array.from({ length: 1001 }, (_, i) => ({ id: `b${i}` })) });
    assert.is(r.status, 400);
    assert.equal([r.json.error.code, r.json.error.field], ['TASKLANE_ERR_INVALID_INPUT', 'body']);
    assert.match(r.json.error.message, /1000/);
    assert.is((await s.queue.stats()).waiting.short, 0);
    r = await s.call('POST', '/tasks', { body: Array.from({ length: 1000 }, (_, i) => ({ id: `b${i}` })) });
    assert.is(r.status, 201);
    assert.is(r.json.length, 1000);
  } finally {
    await s.close();
  }
});

review('a malformed request target (//[) is 400 with a code, not 500', async () => {
  const s = await serve();
  try {
    for (const target of ['//[', '//[::1', 'http://[/x']) {
      const r = await send(s.url, 'GET', target);
      assert.is(r.status, 400, target);
      assert.equal([r.json.error.code, r.json.error.field], ['TASKLANE_ERR_INVALID_INPUT', 'url'], target);
    }
    assert.is((await send(s.url, 'GET', '/healthz')).status, 200);
  } finally {
    await s.close();
  }
});

review('DELETE /tasks/:id race: a task seen waiting after a failed cancel is cancelled on a second try', async () => {
  let cancels = 0;
  const s = await serveStub({ cancel: async () => (cancels += 1) > 1, get: async (id) => ({ id, state: 'waiting' }) });
  try {
    const r = await send(s.url, 'DELETE', '/tasks/t1');
    assert.equal([r.status, r.json], [200, { id: 't1', cancelled: true }]);
    assert.is(cancels, 2);
  } finally {
    await s.close();
  }
});

review('DELETE /tasks/:id race: the 409 says which state was seen', async () => {
  let cancels = 0;
  const states = ['active', 'delayed'];
  const s = await serveStub({ cancel: async () => ((cancels += 1), false), get: async (id) => ({ id, state: states.shift() ?? 'delayed' }) });
  try {
    let r = await send(s.url, 'DELETE', '/tasks/t2');
    assert.equal([r.status, r.json.error.code], [409, 'TASKLANE_ERR_NOT_CANCELLABLE']);
    assert.match(r.json.error.message, /was active/);
    assert.is(cancels, 1, 'an active task is not tried again');
    r = await send(s.url, 'DELETE', '/tasks/t2');
    assert.is(r.status, 409);
    assert.match(r.json.error.message, /delayed/);
    assert.match(r.json.error.message, /try again/);
    assert.is(cancels, 3, 'a delayed task is tried once more, not in a loop');
  } finally {
    await s.close();
  }
});

review('every answer says nosniff; the dashboard page has a Content-Security-Policy without inline script', async () => {
  const s = await serve();
  try {
    for (const path of ['/', '/healthz', '/metrics', '/overview', '/nope', '/dashboard/app.js', '/assets/uplot.js']) {
      const res = await fetch(`${s.url}${path}`);
      assert.is(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
    const r = await s.call('POST', '/tasks', { raw: '{' });
    assert.is(r.headers.get('x-content-type-options'), 'nosniff');
    const csp = (await fetch(`${s.url}/`)).headers.get('content-security-policy');
    assert.ok(csp, 'no CSP on the dashboard page');
    assert.match(csp, /default-src 'self'/);
    assert.not.match(csp, /unsafe-inline|unsafe-eval/);
    assert.not.match(csp, /script-src/, 'scripts fall back to default-src \'self\'');
  } finally {
    await s.close();
  }
});

review.run();
