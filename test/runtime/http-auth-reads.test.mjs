// Reads behind the token: beyond loopback (or with a read-only token) every route but the
// probes and the dashboard's files needs a bearer token; the read-only token opens reads
// and no mutation. Against the test redis-server.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOperatorServer, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { send } from '../helpers/http.mjs';
import { trackInFlight } from '../helpers/in-flight.mjs';

const FULL = 'full-token-x1';
const READ = 'read-token-y2';
const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** A queue of its own with one task holding a secret payload and one dead letter; a server on `host`. */
async function serve(options) {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('auth') });
  queue.on('queue:warning', () => {});
  await queue.enqueue({ id: 'secret', payload: { card: '4111-secret' } });
  await queue.enqueue({ id: 'doomed', type: 'job', payload: { card: '4111-secret' }, priority: 0 });
  const [lease] = await queue.claim('short', { max: 1, leaseMs: 10_000, owner: 'test' });
  await queue.fail(lease, new Error('boom'), { retryable: false });
  const server = createOperatorServer({ queue, port: 0, ...options });
  const { url } = await server.listen();
  // Bound to 0.0.0.0 means reachable on 127.0.0.1 too.
  const base = url.replace('0.0.0.0', '127.0.0.1');
  const get = (path, headers = {}) => send(base, 'GET', path, { headers });
  return { queue, base, get, close: async () => { await server.close(); await queue.close(); } };
}

const READS = ['/tasks/secret', '/dead', '/stats', '/overview', '/metrics'];
const OPEN = ['/healthz', '/readyz', '/', '/dashboard/app.js', '/assets/uplot.js'];

const test = suite('http: reads behind the token');

test('beyond loopback every read needs a token: none or a wrong one is 401 without data', async () => {
  const s = await serve({ host: '0.0.0.0', token: FULL });
  try {
    for (const path of READS) {
      for (const headers of [{}, bearer('nope'), bearer(`${FULL}x`), { authorization: `Basic ${Buffer.from(FULL).toString('base64')}` }, { authorization: 'Bearer' }]) {
        const r = await s.get(path, headers);
        assert.is(r.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.is(r.json.error.code, 'TASKLANE_ERR_UNAUTHORIZED');
        assert.match(r.headers['www-authenticate'], /^Bearer/);
        assert.not.match(r.text, /4111|boom/);
      }
      const r = await s.get(path, bearer(FULL));
      assert.is(r.status, 200, `${path} with the token`);
    }
    assert.match((await s.get('/tasks/secret', bearer(FULL))).text, /4111-secret/);
  } finally {
    await s.close();
  }
});

test('the probes and the dashboard files need no token, anywhere', async () => {
  const s = await serve({ host: '0.0.0.0', token: FULL, readToken: READ });
  try {
    for (const path of OPEN) {
      const r = await s.get(path);
      assert.is(r.status, 200, path);
      assert.not.match(r.text, /4111|boom/, path);
    }
  } finally {
    await s.close();
  }
});

test('the read-only token opens every read and no mutation (403); the full token opens both', async () => {
  const s = await serve({ host: '0.0.0.0', token: FULL, readToken: READ });
  try {
    for (const path of READS) assert.is((await s.get(path, bearer(READ))).status, 200, path);
    const dead = await s.get('/dead', bearer(READ));
    assert.equal(dead.json.tasks.map((t) => t.id), ['doomed']);
    const mutations = [['POST', '/tasks', '{"id":"new"}'], ['DELETE', '/tasks/secret'], ['POST', '/dead/doomed/retry'], ['POST', '/dead/retry'], ['DELETE', '/dead/doomed'], ['DELETE', '/dead']];
    for (const [method, path, body] of mutations) {
      const headers = { ...bearer(READ), ...(body ? { 'content-type': 'application/json' } : {}) };
      let r = await send(s.base, method, path, { headers, body });
      assert.equal([r.status, r.json.error.code], [403, 'TASKLANE_ERR_FORBIDDEN'], `${method} ${path}`);
      assert.match(r.json.error.message, /read-only/);
      r = await send(s.base, method, path, { headers: body ? { 'content-type': 'application/json' } : {}, body });
      assert.is(r.status, 401, `${method} ${path} without a token`);
    }
    assert.is(await s.queue.get('new'), null);
    assert.is((await s.queue.get('secret')).state, 'waiting');
    assert.is((await s.queue.get('doomed')).state, 'dead');
    const r = await send(s.base, 'POST', '/dead/doomed/retry', { headers: bearer(FULL) });
    assert.is(r.status, 200);
  } finally {
    await s.close();
  }
});

test('on loopback reads stay open without a read token; a read token guards them there too', async () => {
  let s = await serve({ host: '127.0.0.1', token: FULL });
  try {
    for (const path of READS) assert.is((await s.get(path)).status, 200, path);
  } finally {
    await s.close();
  }
  s = await serve({ host: '127.0.0.1', token: FULL, readToken: READ });
  try {
    for (const path of READS) {
      assert.is((await s.get(path)).status, 401, path);
      assert.is((await s.get(path, bearer(READ))).status, 200, path);
    }
    for (const path of OPEN) assert.is((await s.get(path)).status, 200, path);
    // The DNS-rebinding check still comes first on loopback, token or not.
    const port = new URL(s.base).port;
    const r = await s.get('/stats', { ...bearer(READ), host: `evil.example:${port}` });
    assert.equal([r.status, r.json.error.code], [403, 'TASKLANE_ERR_FORBIDDEN']);
  } finally {
    await s.close();
  }
});

test('readToken: needs token, must differ from it, and has the token\'s form', () => {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('auth') });
  queue.on('queue:warning', () => {});
  try {
    const cases = [
      [{ readToken: READ }, /needs|with `readToken`/],
      [{ token: FULL, readToken: FULL }, /differ/],
      [{ token: FULL, readToken: 'has space' }, /printable ASCII/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => createOperatorServer({ queue, port: 0, ...options }), (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === 'readToken' && message.test(err.message), JSON.stringify(options));
    }
  } finally {
    void queue.close();
  }
});

test('/overview lists dead letters as summaries: no payload, no result, read without HGETALL of a task', async () => {
  const s = await serve({ host: '127.0.0.1' });
  // Task records only: the metrics' snapshot reads a small counter hash.
  const reads = trackInFlight(s.queue.redis, 'hgetall', s.queue.keys.task(''));
  try {
    const r = await s.get('/overview');
    assert.is(r.status, 200);
    assert.is(reads.calls, 0, 'the overview read full records');
    assert.is(r.json.dead.length, 1);
    const [row] = r.json.dead;
    assert.equal(Object.keys(row).sort(), ['attempts', 'error', 'finishedAt', 'id', 'lane', 'maxAttempts', 'priority', 'type']);
    assert.equal([row.id, row.type, row.lane, row.priority, row.attempts, row.maxAttempts], ['doomed', 'job', 'short', 0, 1, 5]);
    assert.is(row.error.message, 'boom');
    assert.type(row.finishedAt, 'number');
    assert.not.match(r.text, /4111/);
  } finally {
    await s.close();
  }
});

test.run();
