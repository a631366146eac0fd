// The storage flags of every `tasklane` command: the supervisor's flags and variables, since
// a command reaps and marks by them (`stats` reaps completed records past the caller's retention).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { storageFromFlags } from '../../dist/cli/storage-flags.js';
import { resolveTarget } from '../../dist/cli/connect.js';
import { STORAGE_FLAGS } from '../../dist/runtime/queue-storage.js';
import { FLAGS } from '../../dist/runtime/config.js';
import { cli, target, withQueue } from '../helpers/cli.mjs';

const test = suite('tasklane storage flags');

test('each is the supervisor\'s flag with the same variable', () => {
  for (const [name, flag] of Object.entries(STORAGE_FLAGS)) assert.is(FLAGS[name]?.env, flag.env, name);
});

test('flags beat their variables, with units; the rest are the queue defaults', () => {
  const env = { TASKLANE_COMPLETED_RETENTION: '2m', TASKLANE_COMPLETED_MAX: '7', TASKLANE_MAX_STALLS: '0' };
  assert.equal(storageFromFlags({ 'completed-retention': '200ms', 'dedup-window': '1h' }, env),
    { completedRetention: { ms: 200, max: 7 }, deadRetentionMs: 604_800_000, dedupWindowMs: 3_600_000, maxStalls: 0, shards: 1, durability: 'async' });
  assert.equal(resolveTarget({ queue: 'q', 'dead-retention': '2h' }, {}).storage.deadRetentionMs, 7_200_000);
});

test('a bad value is a usage error naming the flag, its variable and what it takes', () => {
  const cases = [
    [{ 'completed-retention': 'soon' }, {}, '--completed-retention', /^--completed-retention \(TASKLANE_COMPLETED_RETENTION\) must be a duration such as 1500, 500ms, 30s, 2m or 1h, got `soon`$/],
    [{}, { TASKLANE_MAX_STALLS: 'x' }, '--max-stalls', /^--max-stalls \(TASKLANE_MAX_STALLS\) must be a whole number from 0 up, got `x`$/],
    [{ 'dead-retention': '0' }, {}, '--dead-retention', /^Invalid --dead-retention \(TASKLANE_DEAD_RETENTION\): Expected `deadRetentionMs` to be an integer from 1 to 31536000000, got `0` \(number\)$/],
    [{ 'completed-max': '2000000000' }, {}, '--completed-max', /Expected `completedMax` to be an integer from 0 to 1000000000/],
    [{ 'dedup-window': '' }, {}, '--dedup-window', /--dedup-window must not be empty/],
  ];
  for (const [values, env, option, pattern] of cases) {
    assert.throws(() => storageFromFlags(values, env), (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === option && pattern.test(err.message), JSON.stringify(values));
  }
});

test('stats reaps by the retention it is given: the default keeps a fresh completed record, --completed-retention 100ms does not', async () => {
  const { queue, flags } = target('storage');
  await withQueue(queue, async (q) => {
    await q.enqueue({ id: 'done' });
    const [lease] = await q.claim('short', { max: 1, leaseMs: 30_000, owner: 'w' });
    assert.is(await q.complete(lease, 1), true);
  });
  await new Promise((r) => setTimeout(r, 150));
  const kept = await cli(['stats', ...flags, '--json']);
  assert.is(kept.code, 0, kept.stderr);
  assert.is(kept.json.completed, 1);
  const reaped = await cli(['stats', ...flags, '--json'], { env: { TASKLANE_COMPLETED_RETENTION: '100ms' } });
  assert.is(reaped.code, 0, reaped.stderr);
  assert.is(reaped.json.completed, 0);
  await withQueue(queue, async (q) => {
    assert.is(await q.get('done'), null);
    assert.is((await q.stats()).completed, 0, 'the record and its index entry were deleted, not only left out of the count');
  });
  const bad = await cli(['stats', ...flags, '--completed-retention', 'soon']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--completed-retention \(TASKLANE_COMPLETED_RETENTION\) must be a duration/);
});

test.run();
