// The test runner itself: a run must fail whenever a suite cannot account for its tests.
import { spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const test = suite('test runner (test/helpers/uvu-main.mjs)');

/** Runs the fixtures under test/fixtures/runner whose names match `pattern`. */
function runFixtures(pattern) {
  const child = spawnSync(process.execPath, ['test/helpers/uvu-main.mjs', 'test/fixtures/runner', pattern], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    timeout: 30_000,
  });
  const lines = child.stdout.trimEnd().split('\n');
  return { status: child.status, output: child.stdout + child.stderr, last: lines.at(-1) };
}

test('a run of passing suites exits 0 and ends with its count', () => {
  const run = runFixtures('passing');
  assert.is(run.status, 0, run.output);
  assert.is(run.last, '1 passed, 0 failed');
});

test('a suite whose before hook throws fails the run, and says why', () => {
  const run = runFixtures('passing|before-throws');
  assert.is(run.status, 1, run.output);
  assert.is(run.last, '1 passed, 2 failed');
  assert.match(run.output, /its before hook threw: Error: set-up exploded: chromium is not installed/);
  assert.match(run.output, /ran 0 of its 2 tests/);
});

test('a suite whose after hook throws fails the run', () => {
  const run = runFixtures('after-throws');
  assert.is(run.status, 1, run.output);
  assert.match(run.output, /tear-down exploded/);
  assert.match(run.last, /^\d+ passed, [1-9]\d* failed$/);
});

test('a suite declared but never run fails the run', () => {
  const run = runFixtures('never-run');
  assert.is(run.status, 1, run.output);
  assert.is(run.last, '0 passed, 1 failed');
  assert.match(run.output, /declares 1 tests but never called run\(\)/);
});

test('a file that throws while loading fails the run without hiding the others', () => {
  const run = runFixtures('load-throws|passing');
  assert.is(run.status, 1, run.output);
  assert.is(run.last, '1 passed, 1 failed');
  assert.match(run.output, /load-throws\.test\.mjs: the file threw while loading: Error: this file cannot load/);
});

test('a failing assertion counts as one failure among the passes', () => {
  const run = runFixtures('failing');
  assert.is(run.status, 1, run.output);
  assert.is(run.last, '1 passed, 1 failed');
});

test.run();
