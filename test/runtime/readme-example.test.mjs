// The README's handler example, run as a user would: tasklane packed with `npm pack`,
// installed into a fresh project, the handlers file copied from the README's text, and the
// installed `tasklane supervisor` processing a task of that handler.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { cleanEnv, eventually } from '../helpers/supervisor.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const test = suite('README handler example, from an npm-installed package');

/** The ```js block of the README that starts with `// handlers.js`. */
function readmeHandlers() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```js\n(\/\/ handlers\.js[^\n]*\n[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```js block starting with `// handlers.js`: the handler example moved or was renamed');
  return block[1];
}

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('the example\'s handler runs under the installed supervisor, and its NonRetryableError dead-letters', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-readme-'));
  const project = join(dir, 'app');
  const body = Buffer.from('tasklane README example\n');
  const server = createServer((req, res) => res.end(body));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/file.txt`;
  const queue = uniqueName('readme');
  const producer = new TaskQueue({ redis: realRedisUrl(), name: queue });
  producer.on('queue:warning', () => {});
  let sup;
  try {
    const tarball = npm(['pack', '--silent', '--pack-destination', dir], ROOT).trim().split('\n').at(-1);
    execFileSync('mkdir', [project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-app', private: true, type: 'module' }));
    npm(['install', join(dir, tarball), '--prefer-offline', '--no-audit', '--no-fund'], project);
    const source = readmeHandlers();
    writeFileSync(join(project, 'handlers.js'), source);
    const type = /^\s{2}async (\w+)\(task, ctx\)/m.exec(source)?.[1];
    assert.ok(type, 'the example defines a handler');

    sup = spawn(join(project, 'node_modules/.bin/tasklane'), ['supervisor', '--handlers', './handlers.js', '--redis', realRedisUrl(), '--queue', queue, '--short', '1', '--long', '0'],
      { cwd: project, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    sup.stdout.on('data', (c) => { out += c; });
    sup.stderr.on('data', (c) => { err += c; });
    await eventually(() => out.includes('"supervisor running"') || sup.exitCode !== null, { timeoutMs: 30_000, what: 'the installed supervisor to run' });
    assert.is(sup.exitCode, null, `the supervisor exited:\n${out}\n${err}`);

    await producer.enqueueMany([{ id: 'readme-ok', type, payload: { url } }, { id: 'readme-bad', type, payload: {} }]);
    const done = await eventually(async () => {
      const info = await producer.get('readme-ok');
      return info?.state === 'completed' && info;
    }, { what: 'the README example task to complete' });
    assert.equal(done.result, { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    const dead = await eventually(async () => {
      const info = await producer.get('readme-bad');
      return info?.state === 'dead' && info;
    }, { what: 'the invalid task to be dead-lettered' });
    assert.is(dead.error.code, 'TASKLANE_ERR_NON_RETRYABLE');
    assert.is(dead.attempts, 1);
  } finally {
    if (sup && sup.exitCode === null) {
      const exited = new Promise((resolve) => sup.on('exit', resolve));
      sup.kill('SIGTERM');
      await exited;
    }
    await producer.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
