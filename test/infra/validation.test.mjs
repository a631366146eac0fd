import * as assert from 'uvu/assert';
import { ValidationError, OptionError, TaskQueue } from '../../dist/index.js';
import { describeBackends, openQueue, queueKeys } from '../helpers/backends.mjs';

const cases = [
  ['priority', { priority: 1.5 }, /`priority` to be an integer from 0 to 2147483647, got `1.5` \(number\)/],
  ['priority', { priority: -1 }, /integer from 0/],
  ['priority', { priority: Number.NaN }, /got `NaN`/],
  ['priority', { priority: Number.POSITIVE_INFINITY }, /got `Infinity`/],
  ['priority', { priority: '5' }, /got `"5"` \(string\)/],
  ['delayMs', { delayMs: -5 }, /`delayMs` to be an integer from 0/],
  ['maxAttempts', { maxAttempts: 0 }, /`maxAttempts` to be an integer from 1 to 1000/],
  ['timeoutMs', { timeoutMs: 0 }, /`timeoutMs` to be an integer from 1/],
  ['lane', { lane: 'medium' }, /one of `short`, `long`, got `"medium"`/],
  ['type', { type: '' }, /`type` to be a string of 1 to 128/],
  ['id', { id: '' }, /`id` to be a well-formed string of 1 to 256 characters/],
  ['id', { id: 'x'.repeat(257) }, /1 to 256/],
  ['id', { id: 42 }, /got `42` \(number\)/],
  ['id', { id: 'bad\uD800' }, /well-formed/],
  ['payload', { payload: 10n }, /`payload` to serialize to JSON/],
  ['payload', { payload: () => 1 }, /`payload` to serialize to JSON/],
  ['payload', { payload: 'x'.repeat(2000) }, /`payload` to be at most 1024 bytes as JSON, got 2002 bytes/],
  ['colour', { colour: 'red' }, /Unknown field `colour`; allowed fields: id, type/],
  ['__proto__', JSON.parse('{"__proto__": {"polluted": true}}'), /Unknown field `__proto__`/],
  ['input', null, /to be a plain object, got `null`/],
  ['input', [1], /to be a plain object, got `1` \(array\)/],
];

function cyclic() {
  const o = {};
  o.self = o;
  return o;
}

await describeBackends('TaskQueue input validation', (test, backend) => {
  test('each invalid field gets a coded error naming the field, and nothing is stored', async () => {
    const { queue, client, cleanup } = openQueue(backend, { maxPayloadBytes: 1024 });
    await queue.enqueue({ id: 'keep', payload: { intact: true } });
    const before = await queueKeys(client, queue);
    for (const [field, input, message] of [...cases, ['payload', { payload: cyclic() }, /serialize to JSON/]]) {
      const err = await queue.enqueue(input).then(() => null, (e) => e);
      assert.instance(err, ValidationError, `${field}: ${JSON.stringify(String(input?.id ?? ''))}`);
      assert.is(err.code, 'TASKLANE_ERR_INVALID_INPUT');
      assert.is(err.field, field);
      assert.match(err.message, message);
    }
    assert.equal(await queueKeys(client, queue), before, 'no key written');
    assert.equal((await queue.get('keep')).payload, { intact: true });
    assert.is(({}).polluted, undefined, 'no prototype pollution');
    await cleanup();
  });

  test('a batch with one invalid input is rejected whole', async () => {
    const { queue, cleanup } = openQueue(backend);
    const err = await queue.enqueueMany([{ id: 'ok1' }, { id: 'ok2', priority: -3 }, { id: 'ok3' }]).catch((e) => e);
    assert.instance(err, ValidationError);
    assert.is(err.field, 'inputs[1].priority');
    assert.equal(await queue.stats(), { waiting: { short: 0, long: 0 }, delayed: 0, active: 0, completed: 0, dead: 0, paused: { short: false, long: false } });
    assert.is(await queue.get('ok1'), null);
    await cleanup();
  });

  test('regression: a throwing getter or Proxy trap on an input escaped as an uncoded error', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const before = await queueKeys(client, queue);
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const inputs = [
      ['id', { get id() { throw new Error('boom'); } }, /`id` to be readable, but reading it threw: boom/],
      ['priority', { get priority() { throw null; } }, /`priority` to be readable, but reading it threw: `null` \(null\)/],
      ['lane', new Proxy({ lane: 'short' }, { get() { throw 'trap'; } }), /`lane` to be readable/],
      ['input', new Proxy({}, { ownKeys() { throw new Error('trap'); } }), /the task input to be a plain object, but inspecting it threw: trap/],
      ['input', revoked, /the task input to be a plain object, but inspecting it threw/],
    ];
    for (const [field, input, message] of inputs) {
      const err = await queue.enqueue(input).catch((e) => e);
      assert.instance(err, ValidationError, field);
      assert.is(err.field, field);
      assert.match(err.message, message);
    }
    assert.equal(await queueKeys(client, queue), before, 'no key written');
    await cleanup();
  });

  test('regression: a payload or result whose toJSON throws null or a string crashed the error message', async () => {
    const { queue, cleanup } = openQueue(backend);
    for (const [thrown, shown] of [[null, '`null` (null)'], [undefined, '`undefined` (undefined)'], ['nope', '`"nope"` (string)']]) {
      const err = await queue.enqueue({ payload: { toJSON() { throw thrown; } } }).catch((e) => e);
      assert.instance(err, ValidationError);
      assert.is(err.field, 'payload');
      assert.ok(err.message.endsWith(`but it failed: ${shown}`), err.message);
    }
    await queue.enqueue({ id: 'r' });
    const [lease] = await queue.claim('short', { max: 1, leaseMs: 10_000, owner: 'w' });
    const err = await queue.complete(lease, { toJSON() { throw null; } }).catch((e) => e);
    assert.is(err.field, 'result');
    await cleanup();
  });

  test('regression: a field value that cannot be printed (revoked Proxy, throwing toString and toStringTag) crashed the error message', async () => {
    const { queue, cleanup } = openQueue(backend);
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const unprintable = { toString() { throw new Error('x'); }, get [Symbol.toStringTag]() { throw new Error('y'); } };
    for (const value of [revoked, unprintable]) {
      const err = await queue.enqueue({ priority: value }).catch((e) => e);
      assert.instance(err, ValidationError);
      assert.is(err.field, 'priority');
      assert.match(err.message, /got `\[unprintable\]` \(object\)/);
    }
    await cleanup();
  });

  test('regression: a Date, Map, Promise, class instance or typed array was enqueued as a task of defaults', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    class Spec { constructor() { this.id = 'spec'; } }
    for (const input of [new Date(), new Map([['id', 'x']]), Promise.resolve({ id: 'x' }), new Spec(), new Uint8Array(0), Object.create({ id: 'inherited' })]) {
      const err = await queue.enqueue(input).catch((e) => e);
      assert.instance(err, ValidationError);
      assert.is(err.field, 'input');
      assert.match(err.message, /^Expected the task input to be a plain object, got /);
    }
    assert.equal(await queueKeys(client, queue), [], 'nothing stored');
    assert.is((await queue.enqueue(Object.assign(Object.create(null), { id: 'no-proto' }))).id, 'no-proto', 'a null-prototype object is fine');
    await cleanup();
  });

  test('regression: a field set on a polluted Object.prototype was read as the task\'s own', async () => {
    const { queue, cleanup } = openQueue(backend);
    // Non-enumerable, because the mock's Lua VM (fengari) walks its own tables with for…in.
    Object.defineProperty(Object.prototype, 'lane', { value: 'long', configurable: true, writable: true });
    try {
      await queue.enqueue({ id: 'own-fields-only' });
    } finally {
      delete Object.prototype.lane;
    }
    assert.is((await queue.get('own-fields-only')).lane, 'short');
    await cleanup();
  });

  test('regression: a sparse batch threw a TypeError after validation', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const err = await queue.enqueueMany([, { id: 'after-hole' }]).catch((e) => e); // eslint-disable-line no-sparse-arrays
    assert.instance(err, ValidationError);
    assert.is(err.field, 'inputs[0]');
    assert.match(err.message, /`inputs\[0\]` to be a plain object, got `undefined`/);
    const getterAt1 = Object.defineProperty([{ id: 'a' }, {}], 1, { get() { throw new Error('idx'); } });
    assert.is((await queue.enqueueMany(getterAt1).catch((e) => e)).field, 'inputs[1]');
    const { proxy: revoked, revoke } = Proxy.revocable([], {});
    revoke();
    assert.is((await queue.enqueueMany(revoked).catch((e) => e)).field, 'inputs');
    assert.match((await queue.enqueueMany({ length: 0 }).catch((e) => e)).message, /`inputs` to be an array of task inputs, got `\[object Object\]` \(object\)/);
    assert.equal(await queueKeys(client, queue), [], 'nothing stored');
    await cleanup();
  });

  test('regression: an empty unknown key was reported with an empty field', async () => {
    const { queue, cleanup } = openQueue(backend);
    const cases = [[{ '': 1 }, '[""]'], [{ 'a b': 1 }, '["a b"]'], [{ [Symbol('k')]: 1 }, '[Symbol(k)]']];
    for (const [input, field] of cases) assert.is((await queue.enqueue(input).catch((e) => e)).field, field);
    assert.is((await queue.enqueueMany([{}, { '': 1 }]).catch((e) => e)).field, 'inputs[1][""]');
    await cleanup();
  });

  test('a getter is read once, so the value validated is the value stored', async () => {
    const { queue, cleanup } = openQueue(backend);
    let reads = 0;
    await queue.enqueue({ id: 'once', get priority() { reads += 1; return reads === 1 ? 7 : -1; } });
    assert.is(reads, 1);
    assert.is((await queue.get('once')).priority, 7);
    await cleanup();
  });

  test('an unknown lane or bad id is refused by the consumer calls too', async () => {
    const { queue, cleanup } = openQueue(backend);
    await assert.rejects?.(Promise.resolve());
    const lane = await queue.claim('medium', { max: 1, leaseMs: 1000, owner: 'w' }).catch((e) => e);
    assert.is(lane.field, 'lane');
    const max = await queue.claim('short', { max: -1, leaseMs: 1000, owner: 'w' }).catch((e) => e);
    assert.is(max.field, 'max');
    const id = await queue.get('').catch((e) => e);
    assert.is(id.field, 'id');
    await cleanup();
  });

  test('options are checked in the constructor', async () => {
    const client = backend.client();
    const bad = [[{ name: 'a{b}' }, 'name'], [{ dedupWindowMs: -1 }, 'dedupWindowMs'], [{ maxStalls: 1.5 }, 'maxStalls']];
    for (const [options, option] of bad) {
      const err = (() => { try { new TaskQueue({ redis: client, ...options }); } catch (e) { return e; } })();
      assert.instance(err, OptionError, option);
      assert.is(err.option, option);
      assert.is(err.code, 'TASKLANE_ERR_INVALID_OPTION');
    }
    client.disconnect();
  });
});
