// The API guard's flags and variables, and a handlers module's `guards` export checked before
// any worker starts.
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCli } from '../../dist/runtime/config.js';
import { resolveOptions } from '../../dist/runtime/options.js';
import { realRedisUrl } from '../helpers/backends.mjs';
import { killAll, startSupervisor } from '../helpers/supervisor.mjs';

const BAD_GUARDS = fileURLToPath(new URL('../fixtures/handlers-bad-guards.mjs', import.meta.url));
const test = suite('API guard flags');
test.after.each(killAll);

test('defaults: breaker on (threshold 0.8, cooldown 2 s), no rate, no cap, 50 throttles', () => {
  assert.equal(resolveOptions({}).apiGuard, { rate: null, maxInFlight: 0, breaker: true, threshold: 0.8, cooldownMs: 2000, maxThrottles: 50 });
});

test('flags and their variables set every field; a flag beats its variable', () => {
  const { options } = parseCli(['--api-rate', '100/s', '--api-max-in-flight', '8', '--api-breaker-threshold', '0.3', '--api-breaker-cooldown', '5s', '--api-max-throttles', '3'], { TASKLANE_API_RATE: '9/m', TASKLANE_API_BREAKER: 'off' });
  assert.equal(resolveOptions(options).apiGuard, { rate: { limit: 100, periodMs: 1000 }, maxInFlight: 8, breaker: false, threshold: 0.3, cooldownMs: 5000, maxThrottles: 3 });
  assert.equal(resolveOptions(parseCli([], { TASKLANE_API_RATE: '600/m' }).options).apiGuard.rate, { limit: 600, periodMs: 60_000 });
});

test('bad values exit 2 naming the flag, its variable and what it accepts', () => {
  const cases = [
    [['--api-rate', '100/h'], '--api-rate', /N\/s or N\/m/],
    [['--api-breaker', 'maybe'], '--api-breaker', /on or off/],
    [['--api-breaker-threshold', '1.5'], '--api-breaker-threshold', /above 0 and at most 1/],
    [['--api-breaker-threshold', 'half'], '--api-breaker-threshold', /ratio/],
    [['--api-max-in-flight=-1'], '--api-max-in-flight', /./],
    [['--api-breaker-cooldown', 'soon'], '--api-breaker-cooldown', /./],
  ];
  for (const [argv, flag, pattern] of cases) {
    assert.throws(() => parseCli(argv, {}), (err) => err.option === flag && pattern.test(err.message) && err.message.includes('TASKLANE_API_'), argv.join(' '));
  }
});

test('a guards export naming a type without a handler exits 2 before any worker starts', async () => {
  const sup = startSupervisor(['--redis', realRedisUrl(), '--handlers', BAD_GUARDS, '--short', '1', '--long', '0']);
  const { code } = await sup.exited;
  assert.is(code, 2, sup.stderr);
  assert.match(sup.stderr, /guards\.partner\.types/);
  assert.match(sup.stderr, /`missing` has no handler/);
  assert.not.match(sup.stdout, /worker ready/);
});

test.run();
