// GET /tasks?state=…: pages of one state over HTTP, following nextCursor, with refusals
// that name the query parameter.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOperatorServer, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';

const test = suite('http: GET /tasks');

async function serve() {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('browse') });
  queue.on('queue:warning', () => {});
  const server = createOperatorServer({ queue, port: 0 });
  const { url } = await server.listen();
  const get = async (query) => {
    const res = await fetch(`${url}/tasks?${new URLSearchParams(query)}`);
    return { status: res.status, json: await res.json() };
  };
  return { queue, get, close: async () => { await server.close(); await queue.close(); } };
}

test('pages through waiting tasks in claim order; rows leave out the payload', async () => {
  const s = await serve();
  try {
    await s.queue.enqueueMany(Array.from({ length: 7 }, (_, i) => ({ id: `t${i}`, priority: 7 - i, payload: { secret: i } })));
    const seen = [];
    let cursor;
    let calls = 0;
    do {
      const r = await s.get({ state: 'waiting', limit: '3', ...(cursor ? { cursor } : {}) });
      assert.is(r.status, 200);
      assert.is(r.json.state, 'waiting');
      assert.is(r.json.limit, 3);
      assert.ok(r.json.tasks.length <= 3);
      for (const t of r.json.tasks) assert.not.ok('payload' in t, 'a row carries its payload');
      seen.push(...r.json.tasks.map((t) => t.id));
      cursor = r.json.nextCursor;
      calls += 1;
    } while (cursor);
    assert.is(calls, 3);
    assert.equal(seen, ['t6', 't5', 't4', 't3', 't2', 't1', 't0']);
  } finally {
    await s.close();
  }
});

test('lane and type filter; dead letters most recent first', async () => {
  const s = await serve();
  try {
    await s.queue.enqueueMany([{ id: 'a', lane: 'long', type: 'mail' }, { id: 'b', type: 'mail' }, { id: 'c', lane: 'long', type: 'sms' }]);
    let r = await s.get({ state: 'waiting', lane: 'long' });
    assert.equal(r.json.tasks.map((t) => t.id), ['a', 'c']);
    r = await s.get({ state: 'waiting', lane: '', type: '' });
    assert.equal(r.json.tasks.map((t) => t.id), ['a', 'b', 'c'], 'empty parameters filter nothing');
    r = await s.get({ state: 'waiting', type: 'mail' });
    assert.equal(r.json.tasks.map((t) => t.id), ['a', 'b']);
    assert.is(r.json.nextCursor, null);
    for (const lease of await s.queue.claim('long', { max: 2, leaseMs: 10_000, owner: 'w' })) {
      await s.queue.fail(lease, new Error(`died ${lease.id}`), { retryable: false });
      await new Promise((done) => setTimeout(done, 3));
    }
    r = await s.get({ state: 'dead' });
    assert.equal(r.json.tasks.map((t) => [t.id, t.error.message]), [['c', 'died c'], ['a', 'died a']]);
  } finally {
    await s.close();
  }
});

test('refusals are 400 and name the parameter: limit over 1000, state, lane, cursor', async () => {
  const s = await serve();
  try {
    const cases = [
      [{ state: 'waiting', limit: '1001' }, 'limit', /1 to 1000/],
      [{ state: 'waiting', limit: '-1' }, 'limit', /whole number/],
      [{}, 'state', /`waiting`, `delayed`, `active`, `completed`, `dead`/],
      [{ state: 'paused' }, 'state', /one of/],
      [{ state: 'waiting', lane: 'medium' }, 'lane', /short/],
      [{ state: 'waiting', cursor: 'garbage!' }, 'cursor', /nextCursor/],
    ];
    for (const [query, field, message] of cases) {
      const r = await s.get(query);
      assert.is(r.status, 400, JSON.stringify(query));
      assert.is(r.json.error.code, 'TASKLANE_ERR_INVALID_INPUT');
      assert.is(r.json.error.field, field, JSON.stringify(query));
      assert.match(r.json.error.message, message);
    }
    const r = await s.get({ state: 'waiting', limit: '1000' });
    assert.is(r.status, 200);
  } finally {
    await s.close();
  }
});

test.run();
