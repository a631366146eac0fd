// `npm test`: starts a private redis-server, runs every uvu suite against it (and
// against ioredis-mock), then stops the server. Extra arguments filter test files:
//   node test/run.mjs infra        # only files whose path matches /infra/
import { spawn } from 'node:child_process';
import { startRedisServer } from './helpers/redis-server.mjs';

const pattern = process.argv[2] ?? '.';
const WATCHDOG_MS = 15 * 60_000;
const redis = await startRedisServer();
console.log(`test redis-server: ${redis.url} (dir ${redis.dir})`);

let code = 1;
try {
  code = await new Promise((resolve) => {
    const uvu = spawn(process.execPath, ['test/helpers/uvu-main.mjs', 'test', `${pattern}.*\\.test\\.mjs$`], {
      stdio: 'inherit',
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0', TASKLANE_TEST_REDIS_URL: redis.url },
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
} finally {
  await redis.stop();
}
process.exit(code);
