import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRetryAfter } from '../../dist/index.js';

const test = suite('parseRetryAfter');
const NOW = Date.UTC(1994, 10, 6, 8, 49, 0); // 37 s before the RFC's example date

test('delay-seconds become ms', () => {
  assert.is(parseRetryAfter('0'), 0);
  assert.is(parseRetryAfter('2'), 2000);
  assert.is(parseRetryAfter(' 120 '), 120_000);
});

test('the three HTTP-date forms, relative to now', () => {
  assert.is(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW), 37_000);
  assert.is(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW), 37_000);
  assert.is(parseRetryAfter('Sun Nov  6 08:49:37 1994', NOW), 37_000);
});

test('a date in the past means now', () => {
  assert.is(parseRetryAfter('Sun, 06 Nov 1994 08:00:00 GMT', NOW), 0);
});

test('the current clock is the default now', () => {
  const ms = parseRetryAfter(new Date(Date.now() + 10_000).toUTCString());
  assert.ok(ms > 8000 && ms <= 10_000, `got ${ms}`);
});

test('a repeated header: the first value wins', () => {
  assert.is(parseRetryAfter(['3', '9']), 3000);
  assert.is(parseRetryAfter([]), undefined);
});

test('garbage gives undefined', () => {
  const garbage = [undefined, '', '   ', 'soon', '-1', '1.5', '1e3', '0x10', '5s', '99999999999999999999',
    'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 25:49:37 GMT', 'Sun, 06 Xyz 1994 08:49:37 GMT',
    '06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:37 PST', 'Tomorrow 5'];
  for (const value of garbage) assert.is(parseRetryAfter(value, NOW), undefined, `for ${JSON.stringify(value)}`);
});

test.run();
