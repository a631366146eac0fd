import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Actor, ShortTaskActor, LongTaskActor, createActor, OptionError } from '../../dist/index.js';
import { MemoryStore } from '../helpers/memory-store.mjs';

const test = suite('Actor options');

const base = () => ({ lane: 'short', store: new MemoryStore(), owner: 'w1', handlers: { ok: async () => 1 } });

const bad = [
  [{ lane: 'medium' }, 'lane', 'Expected `lane` to be one of `short`, `long`, got `"medium"` (string)'],
  [{ store: {} }, 'store', /^Expected `store` to have the methods .*; missing `claimBatch`/],
  [{ store: null }, 'store', /missing `claimBatch`, `heartbeat`/],
  [{ handlers: null }, 'handlers', 'Expected `handlers` to be an object of functions by task type, got `null` (null)'],
  [{ handlers: { http: 'nope' } }, 'handlers', 'Expected `handlers.http` to be a function, got `"nope"` (string)'],
  [{ owner: '' }, 'owner', 'Expected `owner` to be a non-empty string, got `""` (string)'],
  [{ concurrency: 0 }, 'concurrency', 'Expected `concurrency` to be an integer from 1 to 10000, got `0` (number)'],
  [{ concurrency: 1.5 }, 'concurrency', /got `1.5` \(number\)/],
  [{ concurrency: '4' }, 'concurrency', /got `"4"` \(string\)/],
  [{ leaseMs: 1 }, 'leaseMs', /^Expected `leaseMs` to be an integer from 2 to/],
  [{ defaultTimeoutMs: 0 }, 'defaultTimeoutMs', /^Expected `defaultTimeoutMs` to be an integer from 1 to/],
  [{ leaseMs: 1000, heartbeatEveryMs: 1000 }, 'heartbeatEveryMs', 'Expected `heartbeatEveryMs` to be an integer from 1 to 999, got `1000` (number)'],
  [{ idleWaitMs: 0 }, 'idleWaitMs', /^Expected `idleWaitMs` to be an integer from 1 to/],
  [{ log: console }, 'log', /missing `child`/],
];

for (const [override, option, message] of bad) {
  test(`rejects ${JSON.stringify(override)}`, () => {
    try {
      new Actor({ ...base(), ...override });
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, OptionError);
      assert.is(err.code, 'TASKLANE_ERR_INVALID_OPTION');
      assert.is(err.option, option);
      if (typeof message === 'string') assert.is(err.message, message);
      else assert.match(err.message, message);
    }
  });
}

test('a fresh actor is idle with nothing in flight and makes no store call', () => {
  const options = base();
  const actor = new Actor(options);
  assert.is(actor.state, 'idle');
  assert.is(actor.inFlight, 0);
  assert.is(actor.lane, 'short');
  assert.is(options.store.calls.length, 0);
});

test('createActor picks the class by lane', () => {
  assert.instance(createActor(base()), ShortTaskActor);
  assert.instance(createActor({ ...base(), lane: 'long' }), LongTaskActor);
  assert.throws(() => createActor({ ...base(), lane: 'medium' }), (err) => err instanceof OptionError && err.option === 'lane');
});

test('lane actors may leave the lane out', () => {
  const { lane, ...rest } = base();
  assert.is(new ShortTaskActor(rest).lane, 'short');
  assert.is(new LongTaskActor(rest).lane, 'long');
});

test.run();
