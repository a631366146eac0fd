// `tasklane supervisor ...` is the supervisor program: same help, same flag errors, same run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { cli, startCli } from '../helpers/cli.mjs';

const test = suite('tasklane supervisor');
const started = new Set();
test.after.each(() => {
  for (const run of started) run.child.kill('SIGKILL');
  started.clear();
});

test('--help is the supervisor\'s help', async () => {
  const run = await cli(['supervisor', '--help']);
  assert.is(run.code, 0, run.stderr);
  for (const flag of ['--short', '--long', '--handlers', '--redis', '--queue', '--drain-timeout', 'TASKLANE_SHORT']) {
    assert.ok(run.stdout.includes(flag), `${flag} missing`);
  }
});

test('a bad flag exits 2 naming it', async () => {
  const [unknown, bad] = await Promise.all([cli(['supervisor', '--shrot', '8']), cli(['supervisor', '--short', 'eight'])]);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown flag `--shrot`/);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /`--short` \(TASKLANE_SHORT\) to be a whole number/);
});

test('runs workers that complete a task enqueued with the CLI, and exits 0 on SIGTERM', async () => {
  const queue = uniqueName('cli-sup');
  const flags = ['--redis', realRedisUrl(), '--queue', queue];
  const sup = startCli(['supervisor', '--short', '1', '--long', '0', ...flags, '--handlers', 'test/fixtures/handlers-basic.mjs', '--drain-timeout', '5s']);
  started.add(sup);
  await sup.waitForOutput(/"msg":"supervisor running"/);
  const enqueued = await cli(['enqueue', ...flags, '--type', 'echo', '--id', 'job-1', '--payload', '{"hello":"world"}']);
  assert.is(enqueued.code, 0, enqueued.stderr);
  let task;
  for (let i = 0; i < 100; i += 1) {
    task = (await cli(['get', 'job-1', ...flags, '--json'])).json;
    if (task?.state === 'completed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(task.state, 'completed', `task still ${task?.state}`);
  assert.equal(task.result.payload, { hello: 'world' });
  sup.child.kill('SIGTERM');
  const { code } = await sup.exited;
  assert.is(code, 0, sup.stderr);
});

test.run();
