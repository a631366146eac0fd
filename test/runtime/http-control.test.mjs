// POST /pause, POST /resume, DELETE /tasks/:id/marker and the refused-id answer of
// GET /tasks/:id, on the operator server in this process against the test redis-server.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sleep } from '../helpers/backends.mjs';
import { deadLetter, serveQueue } from '../helpers/operator.mjs';
import { parseExposition, sampleValue } from '../helpers/prometheus.mjs';

const TOKEN = 'control-token';

async function serve(queueOptions = {}) {
  const { queue, url, close } = await serveQueue({ token: TOKEN }, queueOptions);
  const call = async (method, path, { body, auth = true } = {}) => {
    const headers = auth ? { authorization: `Bearer ${TOKEN}` } : {};
    const init = { method, headers };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${url}${path}`, init);
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
  return { queue, url, call, close };
}

const kill = deadLetter;

const test = suite('http: pause, resume, forget');

test('POST /pause and /resume need the token, take the lane from the query or the body, and show in stats, overview and metrics', async () => {
  const s = await serve();
  try {
    let r = await s.call('POST', '/pause?lane=long', { auth: false });
    assert.is(r.status, 401);
    assert.equal(await s.queue.paused(), { short: false, long: false }, 'nothing paused without the token');

    r = await s.call('POST', '/pause?lane=long');
    assert.is(r.status, 200, r.text);
    assert.equal(r.json, { changed: ['long'], paused: { short: false, long: true } });
    r = await s.call('POST', '/pause', { body: { lane: 'short' } });
    assert.equal(r.json, { changed: ['short'], paused: { short: true, long: true } });

    assert.equal((await s.call('GET', '/stats')).json.paused, { short: true, long: true });
    assert.equal((await s.call('GET', '/overview')).json.stats.paused, { short: true, long: true });
    const metrics = parseExposition((await s.call('GET', '/metrics')).text);
    assert.is(sampleValue(metrics, 'tasklane_lane_paused', { lane: 'short' }), 1);
    assert.is(sampleValue(metrics, 'tasklane_lane_paused', { lane: 'long' }), 1);

    r = await s.call('POST', '/resume', { body: { lane: 'long' } });
    assert.equal(r.json, { changed: ['long'], paused: { short: true, long: false } });
    r = await s.call('POST', '/resume');
    assert.equal(r.json, { changed: ['short'], paused: { short: false, long: false } });
    await sleep(300); // one scrape's reads are shared for 250 ms (queue-snapshot.ts)
    const after = parseExposition((await s.call('GET', '/metrics')).text);
    assert.is(sampleValue(after, 'tasklane_lane_paused', { lane: 'short' }), 0);
  } finally {
    await s.close();
  }
});

test('POST /pause refuses a bad lane, a lane that differs between query and body, and unknown body fields', async () => {
  const s = await serve();
  try {
    for (const [path, body, field] of [['/pause?lane=medium', undefined, 'lane'], ['/pause', { lane: 'x' }, 'lane'], ['/pause?lane=short', { lane: 'long' }, 'lane'], ['/pause', { lanes: 'long' }, 'lanes'], ['/pause', ['long'], 'body'], ['/pause?lane=', undefined, 'lane'], ['/pause', { lane: '' }, 'lane']]) {
      const r = await s.call('POST', path, { body });
      assert.is(r.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.is(r.json.error.code, 'TASKLANE_ERR_INVALID_INPUT');
      assert.is(r.json.error.field, field);
    }
    assert.equal(await s.queue.paused(), { short: false, long: false });
  } finally {
    await s.close();
  }
});

test('GET /tasks/:id of a purged id answers 404 TASKLANE_ERR_ID_REFUSED with refusedUntil; DELETE /tasks/:id/marker frees it', async () => {
  const s = await serve({ dedupWindowMs: 60_000 });
  try {
    await kill(s.queue, 'gone');
    assert.ok(await s.queue.purgeDead('gone'));
    const before = Date.now();
    let r = await s.call('GET', '/tasks/gone');
    assert.is(r.status, 404);
    assert.is(r.json.error.code, 'TASKLANE_ERR_ID_REFUSED');
    assert.ok(Math.abs(r.json.error.refusedUntil - (before + 60_000)) < 5_000, `refusedUntil ${r.json.error.refusedUntil - before} ms ahead`);
    assert.match(r.json.error.message, /refuses the id until \d{4}-\d\d-\d\dT/);
    assert.is((await s.queue.enqueue({ id: 'gone' })).duplicate, true, 'enqueue agrees: refused');

    r = await s.call('DELETE', '/tasks/gone/marker', { auth: false });
    assert.is(r.status, 401);
    r = await s.call('DELETE', '/tasks/gone/marker');
    assert.equal([r.status, r.json], [200, { id: 'gone', forgotten: true }]);
    r = await s.call('GET', '/tasks/gone');
    assert.equal([r.status, r.json.error.code], [404, 'TASKLANE_ERR_NOT_FOUND']);
    r = await s.call('DELETE', '/tasks/gone/marker');
    assert.equal([r.status, r.json.error.code], [404, 'TASKLANE_ERR_NOT_FOUND']);
    assert.is((await s.queue.enqueue({ id: 'gone' })).duplicate, false);
  } finally {
    await s.close();
  }
});

test('DELETE /tasks/:id/marker of an id with a record answers 409 TASKLANE_ERR_ID_IN_USE and changes nothing', async () => {
  const s = await serve();
  try {
    await kill(s.queue, 'kept');
    const r = await s.call('DELETE', '/tasks/kept/marker');
    assert.equal([r.status, r.json.error.code], [409, 'TASKLANE_ERR_ID_IN_USE']);
    const task = await s.queue.get('kept');
    assert.equal([task.state, task.error.message], ['dead', 'boom']);
    assert.is((await s.queue.enqueue({ id: 'kept' })).duplicate, true);
  } finally {
    await s.close();
  }
});

test.run();
