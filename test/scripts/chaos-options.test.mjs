// The flags of `npm run chaos`: the cluster mode's defaults and the combinations it refuses.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chaosHelp, readChaosOptions } from '../../scripts/lib/chaos-options.mjs';

const test = suite('chaos options');

test('one redis-server by default: 1 shard, async, a worker killed every 500 ms', () => {
  const o = readChaosOptions([]);
  assert.equal([o.cluster, o.shards, o.durability, o.killEveryMs, o.noRejoin], [false, 1, 'async', 500, false]);
});

test('--cluster: 6 shards, replicated, a worker killed every 2 s; each can be set', () => {
  const o = readChaosOptions(['--cluster']);
  assert.equal([o.cluster, o.shards, o.durability, o.killEveryMs], [true, 6, 'replicated', 2000]);
  const set = readChaosOptions(['--cluster', '--shards', '12', '--durability', 'async', '--kill-every-ms', '500', '--no-rejoin']);
  assert.equal([set.shards, set.durability, set.killEveryMs, set.noRejoin], [12, 'async', 500, true]);
});

test('refuses what one redis-server cannot do, and an unknown durability, naming the flag', () => {
  const refused = (args, pattern) => assert.throws(() => readChaosOptions(args), pattern, args.join(' '));
  refused(['--durability', 'replicated'], /--durability replicated only with --cluster/);
  refused(['--shards', '4'], /--shards only with --cluster/);
  refused(['--no-rejoin'], /--no-rejoin only with --cluster/);
  refused(['--cluster', '--no-rejoin'], /--no-rejoin only with --durability async/);
  refused(['--cluster', '--durability', 'strong'], /--durability to be one of async, replicated, got `strong`/);
  refused(['--cluster', '--shards', '0'], /--shards to be a whole number from 1 to 1024/);
});

test('--help lists the cluster flags', () => {
  for (const flag of ['--cluster', '--shards N', '--durability MODE', '--no-rejoin']) assert.ok(chaosHelp().includes(flag), flag);
});

test.run();
