// `tasklane list` and `tasklane cancel` against the harness's redis-server.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, target, withQueue } from '../helpers/cli.mjs';

const test = suite('tasklane list, cancel');

test('list pages through a state with --cursor; --json prints { tasks, nextCursor }', async () => {
  const { queue, flags } = target();
  await withQueue(queue, (q) => q.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ id: `w${i}`, type: i % 2 ? 'odd' : 'even', priority: 10 - i, payload: { n: i } }))));
  const first = await cli(['list', ...flags, '--state', 'waiting', '--limit', '2', '--json']);
  assert.is(first.code, 0, first.stderr);
  assert.equal(first.json.tasks.map((t) => t.id), ['w4', 'w3']);
  assert.not.ok('payload' in first.json.tasks[0]);
  assert.type(first.json.nextCursor, 'string');
  const second = await cli(['list', ...flags, '--state', 'waiting', '--limit', '2', '--cursor', first.json.nextCursor, '--json']);
  assert.equal(second.json.tasks.map((t) => t.id), ['w2', 'w1']);
  const last = await cli(['list', ...flags, '--state', 'waiting', '--limit', '2', '--cursor', second.json.nextCursor, '--json']);
  assert.equal(last.json, { tasks: last.json.tasks, nextCursor: null });
  assert.equal(last.json.tasks.map((t) => t.id), ['w0']);

  const human = await cli(['list', ...flags, '--state', 'waiting', '--limit', '2']);
  assert.is(human.code, 0, human.stderr);
  const lines = human.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^ID\s+TYPE\s+LANE\s+PRIORITY\s+ATTEMPTS\s+READY/);
  assert.match(lines[1], /^w4\s+even\s+short\s+6\s+0\/5/);
  assert.is(lines[3], `next page: --cursor ${first.json.nextCursor}`);

  const odd = await cli(['list', ...flags, '--state', 'waiting', '--type', 'odd', '--json']);
  assert.equal(odd.json.tasks.map((t) => t.id), ['w3', 'w1']);
  const none = await cli(['list', ...flags, '--state', 'delayed']);
  assert.is(none.code, 0);
  assert.match(none.stdout, /^no delayed tasks in queue `/);
});

test('list: bad flags exit 2 naming the flag', async () => {
  const { flags } = target();
  const cases = [
    [['--state', 'paused'], /--state must be one of waiting, delayed, active, completed, dead, got `paused`/],
    [[], /--state must be one of .*got nothing/],
    [['--state', 'waiting', '--limit', '1001'], /--limit must be a whole number from 1 to 1000, got `1001`/],
    [['--state', 'waiting', '--lane', 'mid'], /--lane must be short or long/],
    [['--state', 'waiting', '--cursor', 'nope!'], /TASKLANE_ERR_INVALID_INPUT: Expected `cursor`/],
  ];
  for (const [args, message] of cases) {
    const run = await cli(['list', ...flags, ...args]);
    assert.is(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
});

test('cancel withdraws a waiting task (exit 0); an active or unknown one exits 1 saying why', async () => {
  const { queue, flags } = target();
  await withQueue(queue, async (q) => {
    await q.enqueueMany([{ id: 'later', delayMs: 60_000 }, { id: 'running' }]);
    await q.claim('short', { max: 1, leaseMs: 30_000, owner: 'w' });
  });
  const ok = await cli(['cancel', ...flags, 'later']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stdout, 'cancelled later\n');
  await withQueue(queue, async (q) => assert.is((await q.get('later')).state, 'cancelled'));
  const active = await cli(['cancel', ...flags, 'running', '--json']);
  assert.is(active.code, 1);
  assert.is(active.json.error.code, 'TASKLANE_ERR_NOT_CANCELLABLE', 'the code the HTTP API gives the same case');
  assert.match(active.json.error.message, /is active .*only waiting or delayed/);
  const unknown = await cli(['cancel', ...flags, 'ghost', '--json']);
  assert.is(unknown.code, 1);
  assert.is(unknown.json.error.code, 'TASKLANE_ERR_NOT_FOUND');
  assert.match(unknown.json.error.message, /no task `ghost`/);
  const missing = await cli(['cancel', ...flags]);
  assert.is(missing.code, 2);
  const again = await cli(['cancel', ...flags, 'later', '--json']);
  assert.is(again.code, 1);
  assert.is(again.json.error.code, 'TASKLANE_ERR_NOT_CANCELLABLE');
  assert.match(again.json.error.message, /is cancelled/);
});

test.run();
