// `tasklane` itself: --help at every level, unknown commands, --version, exit code 3.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli } from '../helpers/cli.mjs';

const test = suite('tasklane usage');
const EXIT_LINE = 'Exit codes: 0 ok (also a duplicate enqueue, or --all with nothing to do); 1 task not found or not in the state needed (or an unexpected error); 2 usage error or invalid input; 3 Redis unreachable or not answering.';

test('tasklane --help lists every command, the common flags and the exit codes', async () => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const run = await cli(args);
    assert.is(run.code, 0, args.join(' '));
    for (const name of ['enqueue', 'get ID', 'stats', 'list --state STATE', 'cancel ID', 'dead list', 'dead retry (ID | --all)', 'dead purge (ID | --all)', 'supervisor', '--redis URL', '--redis-tls-ca PATH', 'TASKLANE_REDIS_TLS_CA', '--queue NAME', '--json', 'REDIS_URL', 'TASKLANE_QUEUE']) {
      assert.ok(run.stdout.includes(name), `${name} missing from tasklane ${args.join(' ')}`);
    }
    assert.ok(run.stdout.includes(EXIT_LINE));
  }
});

test('tasklane with no command prints the help on stderr and exits 2', async () => {
  const run = await cli([]);
  assert.is(run.code, 2);
  assert.is(run.stdout, '');
  assert.match(run.stderr, /^Usage: tasklane <command>/);
});

test('--help of a group and of each command, in every spelling', async () => {
  const cases = [
    [['dead', '--help'], /^Usage: tasklane dead <command>/, ['dead list', 'dead retry', 'dead purge']],
    [['dead', '-h'], /^Usage: tasklane dead <command>/, []],
    [['help', 'dead'], /^Usage: tasklane dead <command>/, []],
    [['dead', 'retry', '--help'], /^Usage: tasklane dead retry \(ID \| --all\) \[flags\]/, ['--all', '--redis URL', 'Exit 1 here means: ID is not a dead letter']],
    [['help', 'dead', 'retry'], /^Usage: tasklane dead retry/, []],
    [['dead', 'purge', '-h'], /^Usage: tasklane dead purge/, ['--all']],
    [['dead', 'list', '--help'], /^Usage: tasklane dead list/, ['--limit N', '--offset N']],
    [['enqueue', '-h'], /^Usage: tasklane enqueue --payload JSON/, ['--id ID', '--lane LANE', '--priority N', '--delay TIME', '--type TYPE', '--max-attempts N', '--timeout TIME']],
    [['get', '--help'], /^Usage: tasklane get ID/, ['Exit 1 here means: no task has this id']],
    [['stats', '--help'], /^Usage: tasklane stats/, []],
    // --help wins over everything else on the line, even an unreachable Redis.
    [['--redis', 'redis://127.0.0.1:1', 'stats', '--help'], /^Usage: tasklane stats/, []],
  ];
  const runs = await Promise.all(cases.map(([args]) => cli(args)));
  runs.forEach((run, i) => {
    const [args, head, parts] = cases[i];
    assert.is(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout, head);
    for (const part of parts) assert.ok(run.stdout.includes(part), `${part} missing from ${args.join(' ')}`);
    assert.ok(run.stdout.includes(EXIT_LINE), `exit codes missing from ${args.join(' ')}`);
  });
});

test('unknown commands and flags exit 2 with the allowed ones', async () => {
  const [command, sub, groupOnly, flag, help] = await Promise.all([
    cli(['frobnicate']),
    cli(['dead', 'resurrect', 'x']),
    cli(['dead']),
    cli(['stats', '--verbose']),
    cli(['help', 'nothing']),
  ]);
  assert.is(command.code, 2);
  assert.match(command.stderr, /Unknown command `frobnicate`; commands: enqueue, get, stats, list, cancel, pause, resume, forget, api, dead, supervisor/);
  assert.match(command.stderr, /Run `tasklane --help` for usage/);
  assert.is(sub.code, 2);
  assert.match(sub.stderr, /Unknown command `dead resurrect`; commands: dead list, dead retry, dead purge/);
  assert.is(groupOnly.code, 2);
  assert.match(groupOnly.stderr, /`tasklane dead` needs a command: list, retry, purge/);
  assert.is(flag.code, 2);
  assert.match(flag.stderr, /Unknown flag `--verbose` for `tasklane stats`; allowed flags: --redis, --redis-cluster, --redis-tls-ca, --queue, --json, --help/);
  assert.is(help.code, 2);
});

test('a usage error with --json is also one JSON document on stdout', async () => {
  const run = await cli(['enqueue', '--payload', '1', '--lane', 'wide', '--json']);
  assert.is(run.code, 2);
  assert.equal(run.json, { error: { code: 'TASKLANE_ERR_INVALID_OPTION', message: '--lane must be short or long, got `wide`' } });
});

test('bad --redis and --queue values exit 2 naming the flag', async () => {
  const [url, name] = await Promise.all([cli(['stats', '--redis', 'http://example.com']), cli(['stats', '--queue', 'has space'])]);
  assert.is(url.code, 2);
  assert.match(url.stderr, /--redis \(REDIS_URL\) must be a redis:\/\/ or rediss:\/\/ URL, got `http:\/\/example.com`/);
  assert.is(name.code, 2);
  assert.match(name.stderr, /--queue \(TASKLANE_QUEUE\) must be 1 to 128 characters without braces or spaces/);
});

test('Redis unreachable: exit 3 within a few seconds, with a clear message and no password', async () => {
  const cases = [
    ['stats', '--redis', 'redis://:s3cret@127.0.0.1:1'],
    ['get', 'x', '--redis', 'redis://127.0.0.1:1', '--json'],
    ['dead', 'retry', '--all', '--redis', 'redis://127.0.0.1:1'],
    ['enqueue', '--payload', '{}', '--redis', 'redis://127.0.0.1:1'],
  ];
  const runs = await Promise.all(cases.map((args) => cli(args)));
  runs.forEach((run, i) => {
    assert.is(run.code, 3, `${cases[i].join(' ')}: ${run.stderr}`);
    // The bug this guards is a hang; the bound is loose because it includes Node's start-up.
    assert.ok(run.ms < 15_000, `took ${run.ms} ms`);
    assert.match(run.stderr, /TASKLANE_ERR_REDIS_UNAVAILABLE: cannot reach Redis at redis:\/\/.*127\.0\.0\.1:1: connect ECONNREFUSED/);
  });
  assert.ok(!runs[0].stderr.includes('s3cret'), 'the password is masked');
  assert.match(runs[0].stderr, /redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
  assert.is(runs[1].json.error.code, 'TASKLANE_ERR_REDIS_UNAVAILABLE');
});

// Regression: the help said exit 1 meant "nothing done", but `dead retry --all` with nothing
// to do exits 0.
test('the exit-code help does not call "nothing done" a failure', async () => {
  const run = await cli(['dead', 'retry', '--help']);
  assert.ok(!run.stdout.includes('nothing done'), run.stdout);
  assert.ok(run.stdout.includes('--all with nothing to do'));
});

// Regression: `connectTimeout` covers only the TCP connect, so a server that accepted the
// connection and never answered held the CLI forever.
test('Redis accepts the connection but never answers: exit 3 within ~10 s, with a clear message', async () => {
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const url = `redis://127.0.0.1:${server.address().port}`;
  try {
    const runs = await Promise.all([['stats', '--redis', url], ['get', 'x', '--redis', url, '--json']].map((args) => cli(args, { timeoutMs: 20_000 })));
    for (const run of runs) {
      assert.is(run.code, 3, run.stderr);
      assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
    }
    assert.match(runs[0].stderr, /TASKLANE_ERR_REDIS_UNAVAILABLE: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: it accepted the connection but did not answer within 5 s/);
    assert.is(runs[1].json.error.code, 'TASKLANE_ERR_REDIS_UNAVAILABLE');
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => server.close(done));
  }
});

// Regression: takeWord skipped `--limit` as if it took no value, so `5` became the command.
test('a command\'s own flag before the command word is a usage error naming it', async () => {
  const runs = await Promise.all([
    cli(['dead', '--limit', '5', 'list']),
    cli(['--all', 'dead', 'retry']),
    cli(['dead', '--offset=2', 'list', '--json']),
  ]);
  for (const run of runs) assert.is(run.code, 2, run.stderr);
  assert.match(runs[0].stderr, /`--limit` goes after the command: `tasklane dead <command> \.\.\. --limit \.\.\.`/);
  assert.ok(!runs[0].stderr.includes('`dead 5`'), runs[0].stderr);
  assert.match(runs[1].stderr, /`--all` goes after the command: `tasklane <command>/);
  assert.is(runs[2].json.error.code, 'TASKLANE_ERR_INVALID_OPTION');
  assert.match(runs[2].json.error.message, /`--offset` goes after the command/);
  // The common flags still go anywhere.
  const help = await cli(['--redis', 'redis://127.0.0.1:1', '--queue', 'q', '--json', 'dead', '-h']);
  assert.is(help.code, 0, help.stderr);
});

/** Packages a module imports statically, following its relative imports (`import()` is not followed). */
function staticPackages(entry) {
  const seen = new Set();
  const packages = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\s(?:[^'"()]*?\sfrom\s)?['"]([^'"]+)['"]/gm)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
    }
  };
  visit(entry);
  return packages;
}

// Regression: main.ts imported runSupervisor statically, so `tasklane get` loaded the runtime.
test('the CLI loads the runtime (pino, undici, prom-client) only for `tasklane supervisor`', () => {
  const packages = staticPackages(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)));
  assert.ok(packages.has('ioredis'), [...packages].join(', '));
  for (const heavy of ['pino', 'undici', 'prom-client']) assert.not.ok(packages.has(heavy), `${heavy} is loaded at start: ${[...packages].join(', ')}`);
});

// Regression: the CLI refused a Unix socket path that the supervisor accepted for the same REDIS_URL.
test('--redis takes a Unix socket path, as the supervisor does', async () => {
  const socket = join(tmpdir(), `tasklane-no-such-${process.pid}.sock`);
  const [flag, env] = await Promise.all([cli(['stats', '--redis', socket, '--json']), cli(['stats'], { env: { REDIS_URL: socket } })]);
  for (const run of [flag, env]) {
    assert.is(run.code, 3, run.stderr);
    assert.ok(run.stderr.includes(`TASKLANE_ERR_REDIS_UNAVAILABLE: cannot reach Redis at ${socket}: connect ENOENT`), run.stderr);
  }
  assert.is(flag.json.error.code, 'TASKLANE_ERR_REDIS_UNAVAILABLE');
});

test('--version prints the package version', async () => {
  const run = await cli(['--version']);
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.is(run.code, 0);
  assert.is(run.stdout, `${version}\n`);
});

test.run();
