// `tasklane api`: the guard's shared state, and forcing the breaker for every worker.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiGuard } from '../../dist/index.js';
import { cli, target, withQueue } from '../helpers/cli.mjs';

const test = suite('tasklane api');

test('shows the breaker closed with the calls of the last second, in text and --json', async () => {
  const { queue, flags } = target();
  await withQueue(queue, async (q) => {
    const guard = new ApiGuard({ redis: q.redis, queue, breaker: false });
    await guard.settle(await guard.acquire(), 'ok');
    guard.close();
  });
  const human = await cli(['api', ...flags]);
  assert.is(human.code, 0, human.stderr);
  assert.match(human.stdout, /breaker\s+closed/);
  assert.match(human.stdout, /in flight\s+0/);
  const json = await cli(['api', ...flags, '--json']);
  assert.is(json.code, 0, json.stderr);
  assert.equal([json.json.scope, json.json.breaker.state, json.json.breaker.forced, json.json.pausedUntil], ['http', 'closed', null, null]);
});

test('--breaker open holds it open for every worker; auto hands it back; a bad mode exits 2 naming the flag', async () => {
  const { queue, flags } = target();
  const open = await cli(['api', ...flags, '--breaker', 'open', '--json']);
  assert.is(open.code, 0, open.stderr);
  assert.equal([open.json.breaker.forced, open.json.breaker.state], ['open', 'closed']);
  await withQueue(queue, async (q) => {
    const guard = new ApiGuard({ redis: q.redis, queue });
    const err = await guard.acquire(undefined, { maxWaitMs: 100 }).then(() => null, (e) => e);
    assert.is(err?.code, 'TASKLANE_ERR_GUARD_WAIT', 'a worker gets no permit while the operator holds it open');
    assert.is(err.reason, 'open');
    guard.close();
  });
  const auto = await cli(['api', ...flags, '--breaker', 'auto']);
  assert.is(auto.code, 0, auto.stderr);
  assert.match(auto.stdout, /breaker set to auto/);
  assert.not.match(auto.stdout, /held/);
  const bad = await cli(['api', ...flags, '--breaker', 'sideways']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--breaker must be one of open, closed, auto/);
});

test.run();
