// The measured problem of "Protecting the external API" (README), rerun with --api-rate 100/s
// through the real supervisor: an API allowing 120 calls/s is down (503) for 6 s while 2,500
// tasks run (2 processes, concurrency 20). Every target of the issue is asserted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runApiScenario } from '../../scripts/lib/api-guard-scenario.mjs';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { killAll } from '../helpers/supervisor.mjs';

const test = suite('API guard scenario: quota 120/s, a 6 s outage, --api-rate 100/s');
test.after.each(killAll);

test('every task completes once, no second holds more than 105 calls, few 429s, the outage sees at most 30 calls, recovery within 10 s', async () => {
  const f = await runApiScenario({ redis: realRedisUrl(), queue: uniqueName('scenario'), guarded: true });
  const summary = JSON.stringify({ ...f, timeline: f.timeline.map((s) => s.calls).join(',') });
  assert.is(f.completed, 2500, summary);
  assert.is(f.dead, 0, summary);
  assert.ok(f.peakPerSecond <= 105, `peak ${f.peakPerSecond} calls in one second; ${summary}`);
  assert.ok(f.throttled <= f.calls * 0.01, `${f.throttled} of ${f.calls} calls answered 429; ${summary}`);
  assert.ok(f.outageCalls <= 30, `${f.outageCalls} calls during the outage; ${summary}`);
  assert.ok(f.recoveryMs !== null && f.recoveryMs <= 10_000, `traffic resumed ${f.recoveryMs} ms after recovery; ${summary}`);
  assert.is(f.keysWithEffect, 2500, summary);
  assert.is(f.duplicateKeys, 0, summary);
  assert.is(f.sideEffects, 2500, summary);
});

test.run();
