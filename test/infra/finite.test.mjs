// Non-finite numbers (Infinity, -Infinity, NaN) in payloads and results: JSON.stringify
// writes them as null without a word, so the queue refuses them, naming where they sit.
import * as assert from 'uvu/assert';
import { describeBackends, openQueue } from '../helpers/backends.mjs';

async function refusal(promise) {
  const err = await promise.then(() => null, (e) => e);
  assert.ok(err, 'expected a refusal');
  return err;
}

await describeBackends('TaskQueue refuses non-finite numbers', (test, backend) => {
  test('regression: a payload with Infinity deep inside is refused with its path, not stored as null', async () => {
    const { queue, cleanup } = openQueue(backend);
    const cases = [
      [{ a: [1, 2, Number.POSITIVE_INFINITY] }, 'payload.a[2]'],
      [Number.NaN, 'payload'],
      [{ 'a b': { c: Number.NEGATIVE_INFINITY } }, 'payload["a b"].c'],
      [{ toJSON: () => ({ z: [Number.NaN] }) }, 'payload.z[0]'],
    ];
    for (const [payload, field] of cases) {
      const err = await refusal(queue.enqueue({ id: 'x', payload }));
      assert.equal([err.code, err.field], ['TASKLANE_ERR_INVALID_INPUT', field]);
      assert.match(err.message, new RegExp(`\`${field.replace(/[[\]().]/g, '\\$&')}\` to be a finite number`));
    }
    assert.is(await queue.get('x'), null);
    await cleanup();
  });

  test('a batch names the input: inputs[1].payload.n, and stores nothing', async () => {
    const { queue, cleanup } = openQueue(backend);
    const err = await refusal(queue.enqueueMany([{ id: 'ok' }, { id: 'bad', payload: { n: Number.POSITIVE_INFINITY } }]));
    assert.is(err.field, 'inputs[1].payload.n');
    assert.is(await queue.get('ok'), null);
    await cleanup();
  });

  test('a result with a non-finite number is refused (result.x) and the lease stays active', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'r' });
    const [lease] = await queue.claim('short', { max: 1, leaseMs: 10_000, owner: 'w' });
    const err = await refusal(queue.complete(lease, { x: Number.NaN }));
    assert.equal([err.code, err.field], ['TASKLANE_ERR_INVALID_INPUT', 'result.x']);
    assert.is((await queue.get('r')).state, 'active');
    assert.ok(await queue.complete(lease, { x: 1 }));
    await cleanup();
  });

  test('finite extremes, -0, null and sparse arrays are stored as JSON writes them', async () => {
    const { queue, cleanup } = openQueue(backend);
    // eslint-disable-next-line no-sparse-arrays
    const payload = { big: 1e308, tiny: -1e308, zero: -0, n: null, sparse: [1, , 3], d: new Date(0) };
    await queue.enqueue({ id: 'f', payload });
    assert.equal((await queue.get('f')).payload, JSON.parse(JSON.stringify(payload)));
    await cleanup();
  });
});
