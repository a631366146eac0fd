// The supervisor with --http on a port another process holds exits 1 (as the README's exit
// codes say) with a message naming the port, before any worker starts.
import { createServer } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realRedisUrl } from '../helpers/backends.mjs';
import { startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('supervisor --http on a port in use');

test('exits 1 with a clear message and starts no worker', async () => {
  const holder = createServer();
  await new Promise((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address();
  try {
    const sup = startSupervisor(['--http', `127.0.0.1:${port}`, '--redis', realRedisUrl(), '--short', '1', '--long', '0']);
    const timer = setTimeout(() => sup.child.kill('SIGKILL'), 20_000);
    const result = await sup.exited;
    clearTimeout(timer);
    assert.is(result.code, 1, `exit ${JSON.stringify(result)}; stderr: ${sup.stderr}`);
    assert.match(sup.stderr, new RegExp(`--http 127\\.0\\.0\\.1:${port}: port ${port} is already in use by another process`));
    assert.not.ok(sup.logs.some((l) => l.msg === 'worker ready'), 'no worker started');
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});

test.run();
