// `npm test`: starts a private redis-server and a private 3-master Redis Cluster, runs
// every uvu suite against them (and against ioredis-mock), then stops both. Suites find
// the server in TASKLANE_TEST_REDIS_URL and the cluster's nodes (`host:port,...`) in
// TASKLANE_TEST_CLUSTER_NODES. Extra arguments filter test files:
//   node test/run.mjs infra        # only files whose path matches /infra/
// The last line of the run is always `N passed, N failed` (`, N skipped` may follow), and
// the exit code is non-zero unless every declared test ran and passed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisCluster } from './helpers/redis-cluster.mjs';
import { startRedisServer } from './helpers/redis-server.mjs';

const pattern = process.argv[2] ?? '.';
const WATCHDOG_MS = 15 * 60_000;
const scratch = mkdtempSync(join(tmpdir(), 'tasklane-test-run-'));
const resultsFile = join(scratch, 'results.json');

let results = null;
let exitCode = 1;
let failure = null;
try {
  // Both start at once; when one fails the other is stopped before the error surfaces.
  const started = await Promise.allSettled([startRedisServer(), startRedisCluster({ masters: 3 })]);
  const [redis, cluster] = started.map((s) => (s.status === 'fulfilled' ? s.value : null));
  try {
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    console.log(`test redis-server: ${redis.url} (dir ${redis.dir})`);
    console.log(`test redis cluster: ${cluster.spec}`);
    exitCode = await runSuites(redis.url, cluster.spec);
  } finally {
    await Promise.all([redis?.stop(), cluster?.stop()]);
  }
  results = JSON.parse(readFileSync(resultsFile, 'utf8'));
} catch (error) {
  failure = error instanceof Error ? error.message : String(error);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

if (!results) {
  console.error(`the test run did not finish: ${failure ?? `the runner exited with code ${exitCode}`}`);
  results = { passed: 0, failed: 1, skipped: 0 };
}
// The runner's own exit code and its books must agree; a run that ends in an error fails.
const failed = exitCode !== 0 && results.failed === 0 ? 1 : results.failed;
console.log(`\n${results.passed} passed, ${failed} failed${results.skipped ? `, ${results.skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);

function runSuites(redisUrl, clusterNodes) {
  return new Promise((resolve) => {
    const uvu = spawn(process.execPath, ['test/helpers/uvu-main.mjs', 'test', `${pattern}.*\\.test\\.mjs$`, resultsFile], {
      stdio: 'inherit',
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0', TASKLANE_TEST_REDIS_URL: redisUrl,
        TASKLANE_TEST_CLUSTER_NODES: clusterNodes },
    });
    // A test that never settles must fail the run, not hang CI.
    const watchdog = setTimeout(() => {
      console.error(`tests still running after ${WATCHDOG_MS / 60_000} min: stopping them`);
      uvu.kill('SIGKILL');
    }, WATCHDOG_MS);
    uvu.on('exit', (status, signal) => {
      clearTimeout(watchdog);
      resolve(status ?? (signal ? 1 : 0));
    });
  });
}
