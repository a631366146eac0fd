// `tasklane enqueue`, `get` and `stats` against the harness's redis-server.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realRedisUrl } from '../helpers/backends.mjs';
import { cli, target, withQueue } from '../helpers/cli.mjs';

const test = suite('tasklane enqueue, get, stats');

test('enqueue stores every flag; a second enqueue of the id is a duplicate (exit 0)', async () => {
  const { queue, flags } = target();
  const first = await cli(['enqueue', ...flags, '--payload', '{"to":"ada@example.com"}', '--id', 'welcome:42', '--lane', 'long',
    '--priority', '7', '--delay', '2m', '--type', 'mail', '--max-attempts', '3', '--timeout', '1.5s']);
  assert.is(first.code, 0, first.stderr);
  assert.is(first.stdout, 'enqueued welcome:42\n');
  await withQueue(queue, async (q) => {
    const t = await q.get('welcome:42');
    assert.equal([t.state, t.lane, t.priority, t.type, t.maxAttempts, t.timeoutMs, t.payload], ['delayed', 'long', 7, 'mail', 3, 1500, { to: 'ada@example.com' }]);
    assert.ok(t.runAt - t.createdAt >= 119_000 && t.runAt - t.createdAt <= 121_000, `delay of ${t.runAt - t.createdAt} ms`);
  });
  const again = await cli(['enqueue', ...flags, '--payload', '{}', '--id', 'welcome:42', '--json']);
  assert.is(again.code, 0);
  assert.equal(again.json, { id: 'welcome:42', duplicate: true });
  const human = await cli(['enqueue', ...flags, '--payload', '{}', '--id', 'welcome:42']);
  assert.match(human.stdout, /^duplicate welcome:42 /);
});

test('enqueue without --id gets a UUID; --json prints {id, duplicate}; defaults apply', async () => {
  const { queue, flags } = target();
  const run = await cli(['enqueue', ...flags, '--payload', 'null', '--json']);
  assert.is(run.code, 0, run.stderr);
  assert.equal(Object.keys(run.json), ['id', 'duplicate']);
  assert.match(run.json.id, /^[0-9a-f-]{36}$/);
  assert.is(run.json.duplicate, false);
  await withQueue(queue, async (q) => {
    const t = await q.get(run.json.id);
    assert.equal([t.state, t.lane, t.priority, t.type, t.maxAttempts, t.payload], ['waiting', 'short', 1000, 'http', 5, null]);
  });
});

test('enqueue: bad flag values exit 2 naming the flag and what it accepts, and store nothing', async () => {
  const { queue, flags } = target();
  const cases = [
    [['--payload', '1', '--lane', 'x'], /--lane must be short or long, got `x`/],
    [['--payload', '{nope'], /--payload must be valid JSON \(.*\), got `\{nope`/],
    [[], /--payload is required/],
    [['--payload', '1', '--priority', 'high'], /--priority must be a whole number from 0 up, got `high`/],
    [['--payload', '1', '--priority=-1'], /--priority must be a whole number/],
    [['--payload', '1', '--priority', '-1'], /--priority got a value starting with "-"; write it as --priority=VALUE/],
    [['--payload', '1', '--delay', 'soon'], /--delay must be a duration such as 1500, 500ms, 30s, 2m or 1h, got `soon`/],
    [['--payload', '1', '--timeout', '5 days'], /--timeout must be a duration/],
    [['--payload', '1', '--max-attempts', '2.5'], /--max-attempts must be a whole number/],
    [['--payload', '1', '--id', ''], /--id must not be empty/],
    [['--payload', '1', '--colour', 'red'], /Unknown flag `--colour` for `tasklane enqueue`; allowed flags: --payload, --id/],
    [['--payload'], /--payload needs a value/],
    [['--payload', '1', 'extra'], /Unexpected argument `extra`/],
  ];
  const runs = await Promise.all(cases.map(([args]) => cli(['enqueue', ...flags, ...args])));
  runs.forEach((run, i) => {
    assert.is(run.code, 2, `${cases[i][0].join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, cases[i][1]);
    assert.match(run.stderr, /TASKLANE_ERR_INVALID_OPTION/);
    assert.match(run.stderr, /Run `tasklane enqueue --help` for usage/);
    assert.is(run.stdout, '');
  });
  await withQueue(queue, async (q) => assert.equal(await q.stats(), { waiting: { short: 0, long: 0 }, delayed: 0, active: 0, completed: 0, dead: 0, paused: { short: false, long: false } }));
});

test('enqueue: an input the engine refuses exits 2 with its validation code', async () => {
  const { flags } = target();
  const cases = [
    [['--priority', '99999999999'], /TASKLANE_ERR_INVALID_INPUT: Expected `priority` to be an integer from 0 to 2147483647/],
    [['--max-attempts', '0'], /TASKLANE_ERR_INVALID_INPUT: Expected `maxAttempts`/],
    [['--delay', '400d'], /--delay must be a duration/],
    [['--delay', '9000h'], /TASKLANE_ERR_INVALID_INPUT: Expected `delayMs`/],
    [['--id', 'x'.repeat(300)], /TASKLANE_ERR_INVALID_INPUT: .*`id`/],
  ];
  const runs = await Promise.all(cases.map(([args]) => cli(['enqueue', ...flags, '--payload', '1', ...args])));
  runs.forEach((run, i) => {
    assert.is(run.code, 2, run.stderr);
    assert.match(run.stderr, cases[i][1]);
  });
  const json = await cli(['enqueue', ...flags, '--payload', '1', '--max-attempts', '0', '--json']);
  assert.is(json.code, 2);
  assert.is(json.json.error.code, 'TASKLANE_ERR_INVALID_INPUT');
  assert.match(json.json.error.message, /maxAttempts/);
});

// Regression: the CLI's --json error dropped the ValidationError's `field`, which the HTTP API keeps.
test('enqueue --json: an invalid input names its field, as the HTTP API does', async () => {
  const { flags } = target();
  const run = await cli(['enqueue', ...flags, '--payload', '1', '--priority', '99999999999', '--json']);
  assert.is(run.code, 2, run.stderr);
  assert.equal(Object.keys(run.json.error), ['code', 'message', 'field']);
  assert.is(run.json.error.code, 'TASKLANE_ERR_INVALID_INPUT');
  assert.is(run.json.error.field, 'priority');
});

test('get prints the task; --json prints the TaskInfo; a missing id exits 1', async () => {
  const { queue, flags } = target();
  await withQueue(queue, async (q) => {
    await q.enqueue({ id: 'g', payload: { n: 1 }, priority: 3 });
    const [lease] = await q.claim('short', { max: 1, leaseMs: 30_000, owner: 'w1' });
    await q.complete(lease, { sent: true });
  });
  const [human, json, missing, missingJson] = await Promise.all([
    cli(['get', 'g', ...flags]),
    cli(['get', 'g', ...flags, '--json']),
    cli(['get', 'nope', ...flags]),
    cli(['get', 'nope', ...flags, '--json']),
  ]);
  assert.is(human.code, 0, human.stderr);
  assert.match(human.stdout, /^id +g\n/);
  assert.match(human.stdout, /\nstate +completed\n/);
  assert.match(human.stdout, /\nattempts +1 of 5\n/);
  assert.match(human.stdout, /\npayload +\{"n":1\}\n/);
  assert.match(human.stdout, /\nresult +\{"sent":true\}\n/);
  assert.match(human.stdout, /\nfinished +\d{4}-\d\d-\d\dT/);
  assert.is(json.code, 0);
  assert.equal(
    [json.json.id, json.json.state, json.json.priority, json.json.attempts, json.json.payload, json.json.result, json.json.lane],
    ['g', 'completed', 3, 1, { n: 1 }, { sent: true }, 'short']);
  assert.type(json.json.createdAt, 'number');
  assert.is(missing.code, 1);
  assert.is(missing.stdout, '');
  assert.match(missing.stderr, /TASKLANE_ERR_NOT_FOUND: no task `nope` in queue `/);
  assert.is(missingJson.code, 1);
  assert.equal(missingJson.json, { error: { code: 'TASKLANE_ERR_NOT_FOUND', message: `no task \`nope\` in queue \`${queue}\`` } });
});

test('get needs exactly one ID', async () => {
  const { flags } = target();
  const [none, two] = await Promise.all([cli(['get', ...flags]), cli(['get', 'a', 'b', ...flags])]);
  assert.is(none.code, 2);
  assert.match(none.stderr, /`tasklane get` needs ID/);
  assert.is(two.code, 2);
  assert.match(two.stderr, /Unexpected argument `b`/);
});

test('stats counts per state, in lines and as JSON', async () => {
  const { queue, flags } = target();
  await withQueue(queue, async (q) => {
    await q.enqueueMany([{ id: 's1' }, { id: 's2' }, { id: 'l1', lane: 'long' }, { id: 'later', delayMs: 60_000 }]);
    await q.claim('short', { max: 1, leaseMs: 30_000, owner: 'w' });
  });
  const [human, json] = await Promise.all([cli(['stats', ...flags]), cli(['stats', ...flags, '--json'])]);
  assert.is(human.code, 0, human.stderr);
  assert.equal(json.json, { waiting: { short: 1, long: 1 }, delayed: 1, active: 1, completed: 0, dead: 0, paused: { short: false, long: false } });
  assert.is(human.stdout, [
    `queue      ${queue}`, 'waiting    2 (short 1, long 1)', 'delayed    1', 'active     1', 'completed  0', 'dead       0', 'paused     none', '',
  ].join('\n'));
});

test('--redis and --queue default to REDIS_URL and TASKLANE_QUEUE; flags beat them', async () => {
  const { queue } = target();
  const env = { REDIS_URL: realRedisUrl(), TASKLANE_QUEUE: queue };
  const run = await cli(['enqueue', '--payload', '1', '--id', 'from-env', '--json'], { env });
  assert.is(run.code, 0, run.stderr);
  await withQueue(queue, async (q) => assert.is((await q.get('from-env')).id, 'from-env'));
  const other = target();
  const flagged = await cli(['get', 'from-env', '--queue', other.queue], { env });
  assert.is(flagged.code, 1, '--queue beats TASKLANE_QUEUE');
  const unreachable = await cli(['stats', '--redis', realRedisUrl()], { env: { REDIS_URL: 'redis://127.0.0.1:1', TASKLANE_QUEUE: queue } });
  assert.is(unreachable.code, 0, '--redis beats REDIS_URL');
});

test.run();
