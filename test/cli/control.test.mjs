// `tasklane pause`, `resume`, `forget`, the refused-id message of `get`, and `--version --json`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, target, withQueue } from '../helpers/cli.mjs';

const test = suite('tasklane pause, resume, forget, --version --json');

test('pause --lane and resume act on the queue in Redis; no lane means both; a bad lane exits 2 naming --lane', async () => {
  const { queue, flags } = target();
  let r = await cli(['pause', ...flags, '--lane', 'long', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json, { changed: ['long'], paused: { short: false, long: true } });
  await withQueue(queue, async (q) => assert.equal(await q.paused(), { short: false, long: true }));
  r = await cli(['pause', ...flags]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /paused now\s+short\n/);
  assert.match(r.stdout, /long\s+paused\n/);
  r = await cli(['stats', ...flags]);
  assert.match(r.stdout, /paused\s+short, long\n/);
  r = await cli(['resume', ...flags, '--json']);
  assert.equal(r.json, { changed: ['short', 'long'], paused: { short: false, long: false } });
  r = await cli(['pause', ...flags, '--lane', 'medium', '--json']);
  assert.is(r.code, 2);
  assert.is(r.json.error.code, 'TASKLANE_ERR_INVALID_OPTION');
  assert.match(r.json.error.message, /--lane must be short or long, got `medium`/);
  await withQueue(queue, async (q) => assert.equal(await q.paused(), { short: false, long: false }));
});

test('get of a purged id says until when it is refused; forget clears the marker; forget of a stored task exits 1 ID_IN_USE', async () => {
  const { queue, flags } = target();
  await withQueue(queue, async (q) => {
    await q.enqueueMany([{ id: 'gone' }, { id: 'kept' }]);
    const [lease] = await q.claim('short', { max: 1, leaseMs: 10_000, owner: 'w' });
    await q.fail(lease, new Error('boom'), { retryable: false });
    assert.ok(await q.purgeDead('gone'));
  });
  let r = await cli(['get', 'gone', ...flags]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /enqueue refuses the id until \d{4}-\d\d-\d\d/);
  assert.match(r.stderr, /tasklane forget gone/);
  r = await cli(['forget', 'kept', ...flags, '--json']);
  assert.equal([r.code, r.json.error.code], [1, 'TASKLANE_ERR_ID_IN_USE']);
  await withQueue(queue, async (q) => assert.is((await q.get('kept')).state, 'waiting'));
  r = await cli(['forget', 'gone', ...flags, '--json']);
  assert.equal([r.code, r.json], [0, { id: 'gone', forgotten: true }]);
  r = await cli(['forget', 'gone', ...flags]);
  assert.is(r.code, 1, 'nothing left to forget');
  r = await cli(['enqueue', ...flags, '--id', 'gone', '--payload', '1', '--json']);
  assert.equal(r.json, { id: 'gone', duplicate: false });
});

test('--version --json prints {"version":...}; --version alone the bare version', async () => {
  const { version } = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')));
  let r = await cli(['--version', '--json']);
  assert.is(r.code, 0);
  assert.is(r.stdout, `${JSON.stringify({ version })}\n`);
  r = await cli(['--json', '--version']);
  assert.equal(r.json, { version });
  r = await cli(['--version']);
  assert.is(r.stdout, `${version}\n`);
});

test.run();
