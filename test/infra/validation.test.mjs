import * as assert from 'uvu/assert';
import { ValidationError, OptionError, TaskQueue } from '../../dist/index.js';
import { describeBackends, openQueue } from '../helpers/backends.mjs';

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
  ['input', null, /to be an object, got `null`/],
  ['input', [1], /to be an object, got `1` \(array\)/],
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
    const before = (await client.keys(`${queue.keys.prefix}*`)).sort();
    for (const [field, input, message] of [...cases, ['payload', { payload: cyclic() }, /serialize to JSON/]]) {
      const err = await queue.enqueue(input).then(() => null, (e) => e);
      assert.instance(err, ValidationError, `${field}: ${JSON.stringify(String(input?.id ?? ''))}`);
      assert.is(err.code, 'TASKLANE_ERR_INVALID_INPUT');
      assert.is(err.field, field);
      assert.match(err.message, message);
    }
    assert.equal((await client.keys(`${queue.keys.prefix}*`)).sort(), before, 'no key written');
    assert.equal((await queue.get('keep')).payload, { intact: true });
    assert.is(({}).polluted, undefined, 'no prototype pollution');
    await cleanup();
  });

  test('a batch with one invalid input is rejected whole', async () => {
    const { queue, cleanup } = openQueue(backend);
    const err = await queue.enqueueMany([{ id: 'ok1' }, { id: 'ok2', priority: -3 }, { id: 'ok3' }]).catch((e) => e);
    assert.instance(err, ValidationError);
    assert.is(err.field, 'inputs[1].priority');
    assert.equal(await queue.stats(), { waiting: { short: 0, long: 0 }, delayed: 0, active: 0, completed: 0, dead: 0 });
    assert.is(await queue.get('ok1'), null);
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
