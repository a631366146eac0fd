import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Attempt } from '../../dist/actors/attempt.js';
import { TaskTimeoutError } from '../../dist/index.js';

const test = suite('Attempt');

const lease = { id: 't1', fence: 1, attempt: 1, owner: 'w', type: 'ok', payload: null, lane: 'short', priority: 0, timeoutMs: 0, maxAttempts: 3,
  createdAt: 0, expiresAt: 0, leaseMs: 1000, readyAt: 0, claimedAt: 0 };
const store = { heartbeat: async () => true };

test('a handler that never reads its signal is still cut short by end()', async () => {
  const attempt = new Attempt(lease, store);
  const settled = attempt.run(() => new Promise(() => {}), () => ({}));
  attempt.end(Attempt.timedOut(50));
  const settlement = await settled;
  assert.is(settlement.kind, 'failed');
  assert.instance(settlement.error, TaskTimeoutError);
});

test('the signal is made on first read, is the same object after, and aborts with the ending', async () => {
  const attempt = new Attempt(lease, store);
  let first;
  let second;
  const settled = attempt.run((task, ctx) => {
    first = ctx.signal;
    second = ctx.signal;
    return new Promise(() => {});
  }, () => ({}));
  await Promise.resolve();
  assert.is(first, second);
  assert.is(first.aborted, false);
  attempt.end(Attempt.timedOut(50));
  await settled;
  assert.is(first.aborted, true);
  assert.instance(first.reason, TaskTimeoutError);
});

test('a signal first read after the attempt ended is born aborted, with the ending as its reason', async () => {
  const attempt = new Attempt(lease, store);
  let ctx;
  const settled = attempt.run((task, c) => {
    ctx = c;
    return new Promise(() => {});
  }, () => ({}));
  await Promise.resolve();
  attempt.end(Attempt.timedOut(50));
  await settled;
  assert.is(ctx.signal.aborted, true);
  assert.instance(ctx.signal.reason, TaskTimeoutError);
});

test('the task logger is made only when the handler reads ctx.log, and once', async () => {
  let made = 0;
  const log = { info() {} };
  const factory = () => {
    made += 1;
    return log;
  };
  await new Attempt(lease, store).run(async () => 'quiet', factory);
  assert.is(made, 0);
  await new Attempt(lease, store).run(async (task, ctx) => [ctx.log, ctx.log], factory);
  assert.is(made, 1);
});

test.run();
