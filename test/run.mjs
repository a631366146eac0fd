// `npm test`: starts a private redis-server, runs every uvu suite against it (and
// against ioredis-mock), then stops the server. Extra arguments filter test files:
//   node test/run.mjs infra        # only files whose path matches /infra/
import { spawn } from 'node:child_process';
import { startRedisServer } from './helpers/redis-server.mjs';

const pattern = process.argv[2] ?? '.';
const redis = await startRedisServer();
console.log(`test redis-server: ${redis.url} (dir ${redis.dir})`);

let code = 1;
try {
  code = await new Promise((resolve) => {
    const uvu = spawn(process.execPath, ['node_modules/uvu/bin.js', 'test', `${pattern}.*\\.test\\.mjs$`, '-i', 'helpers'], {
      stdio: 'inherit',
      env: { ...process.env, TASKLANE_TEST_REDIS_URL: redis.url },
    });
    uvu.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
} finally {
  await redis.stop();
}
process.exit(code);
