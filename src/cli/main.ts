/**
 * The `tasklane` program: finds the command in argv, parses its flags, runs it against
 * the queue and turns the outcome into an exit code. `tasklane supervisor ...` hands its
 * arguments to the supervisor program unchanged, so it is `node dist/supervisor.js ...`.
 */
import { readFileSync } from 'node:fs';
import { OptionError } from '../infra/errors.js';
import { COMMON_FLAGS, VALUE_FLAGS, parseFlags } from './args.js';
import { apiCommand } from './api-commands.js';
import { cancelCommand, listCommand } from './browse-commands.js';
import { commandHelp, commandRows, groupHelp, type Command, type CommandGroup } from './command.js';
import { openSession, resolveTarget, type Session } from './connect.js';
import { deadGroup } from './dead-commands.js';
import { EXIT_CODES_HELP, ExitCode, exitCodeOf } from './errors.js';
import { Output, type Io } from './output.js';
import { enqueueCommand, getCommand, statsCommand } from './task-commands.js';
import { forgetCommand, pauseCommand, resumeCommand } from './control-commands.js';

const COMMANDS: readonly Command[] = [enqueueCommand, getCommand, statsCommand, listCommand, cancelCommand, pauseCommand, resumeCommand, forgetCommand, apiCommand];
const GROUPS: readonly CommandGroup[] = [deadGroup];
const SUPERVISOR = 'supervisor';
const ALL_NAMES = [...COMMANDS.map((c) => c.name), ...GROUPS.map((g) => g.name), SUPERVISOR, 'help'];

/**
 * Runs one `tasklane` invocation. Resolves with the exit code, or with undefined after
 * `tasklane supervisor`, which owns the process from then on and exits by itself.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), process.env) ?? process.exitCode;
 */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = process): Promise<ExitCode | undefined> {
  // Known before parsing, so even a usage error is reported as JSON when --json was asked for.
  const out = new Output(io, argv.includes('--json'));
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  // The command whose --help a usage error points to; deepened as the command is found.
  const where = { help: 'tasklane --help' };
  try {
    const [word, rest] = takeWord(argv, 'tasklane');
    if (word === SUPERVISOR) {
      // Loaded on demand: the runtime brings pino, undici and prom-client, which the other
      // commands never use and should not pay for at every start.
      const { runSupervisor } = await import('../runtime/main.js');
      await runSupervisor(rest, env);
      return undefined;
    }
    if (word === undefined) {
      if (argv.includes('--version')) return print(io, out.json ? `${JSON.stringify({ version: version() })}\n` : `${version()}\n`);
      if (wantsHelp) return print(io, topHelp());
      io.stderr.write(topHelp());
      return ExitCode.Usage;
    }
    if (word === 'help') return print(io, helpFor(rest));
    const group = GROUPS.find((g) => g.name === word);
    if (group) return await runGroup(group, rest, env, io, out, wantsHelp, where);
    const command = COMMANDS.find((c) => c.name === word);
    if (!command) throw new OptionError('argv', `Unknown command \`${word}\`; commands: ${ALL_NAMES.join(', ')}`);
    where.help = `tasklane ${command.name} --help`;
    return await runCommand(command, rest, env, io, out);
  } catch (err) {
    out.error(err instanceof Error ? err : new Error(String(err)));
    const code = exitCodeOf(err);
    if (code === ExitCode.Usage && !out.json) io.stderr.write(`Run \`${where.help}\` for usage.\n`);
    return code;
  }
}

async function runGroup(group: CommandGroup, argv: readonly string[], env: NodeJS.ProcessEnv, io: Io, out: Output, wantsHelp: boolean, where: { help: string }): Promise<ExitCode> {
  where.help = `tasklane ${group.name} --help`;
  const [word, rest] = takeWord(argv, `tasklane ${group.name}`);
  if (word === undefined) {
    if (wantsHelp) return print(io, groupHelp(group));
    throw new OptionError('argv', `\`tasklane ${group.name}\` needs a command: ${group.commands.map((c) => c.name.split(' ')[1]).join(', ')}`);
  }
  const command = group.commands.find((c) => c.name === `${group.name} ${word}`);
  if (!command) throw new OptionError('argv', `Unknown command \`${group.name} ${word}\`; commands: ${group.commands.map((c) => c.name).join(', ')}`);
  where.help = `tasklane ${command.name} --help`;
  return runCommand(command, rest, env, io, out);
}

async function runCommand(command: Command, argv: readonly string[], env: NodeJS.ProcessEnv, io: Io, out: Output): Promise<ExitCode> {
  const { values, positionals } = parseFlags(`tasklane ${command.name}`, command.flags, argv);
  if (values.help) return print(io, commandHelp(command));
  const target = resolveTarget(values, env);
  let session: Session | undefined;
  try {
    await command.run({
      values,
      positionals,
      out,
      async queue() {
        session ??= await openSession(target, (warning) => out.note(`tasklane: warning: ${warning}`));
        return session.queue;
      },
    });
    return ExitCode.Ok;
  } finally {
    await session?.close();
  }
}

/** Flags that may come before the command word: the common ones, and `--version`. */
const EARLY_FLAGS = new Set([...Object.keys(COMMON_FLAGS).map((name) => `--${name}`), '-h', '--version']);

/**
 * The first argument that is not a common flag or its value, and argv without it. Any
 * other flag before that word is a usage error: whether it takes a value is known only
 * once the command is, so `dead --limit 5 list` would otherwise read `5` as the command.
 */
function takeWord(argv: readonly string[], usage: string): [string | undefined, string[]] {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (VALUE_FLAGS.has(arg)) {
      i += 1;
      continue;
    }
    if (arg.startsWith('-')) {
      const flag = arg.split('=')[0]!;
      if (EARLY_FLAGS.has(flag)) continue;
      throw new OptionError(flag, `\`${flag}\` goes after the command: \`${usage} <command> ... ${flag} ...\` (only ${[...EARLY_FLAGS].filter((f) => f.startsWith('--')).join(', ')} may come before it)`);
    }
    return [arg, [...argv.slice(0, i), ...argv.slice(i + 1)]];
  }
  return [undefined, [...argv]];
}

/** `tasklane help dead retry` is `tasklane dead retry --help`. */
function helpFor(words: readonly string[]): string {
  const name = words.filter((w) => !w.startsWith('-')).join(' ');
  if (name === '') return topHelp();
  const command = [...COMMANDS, ...GROUPS.flatMap((g) => g.commands)].find((c) => c.name === name);
  if (command) return commandHelp(command);
  const group = GROUPS.find((g) => g.name === name);
  if (group) return groupHelp(group);
  throw new OptionError('argv', `No help for \`${name}\`; commands: ${ALL_NAMES.join(', ')}`);
}

function topHelp(): string {
  return [
    'Usage: tasklane <command> [flags]',
    '',
    'Operates a tasklane queue on Redis: add and inspect tasks, handle dead letters, run workers.',
    '',
    'Commands:',
    ...commandRows(COMMANDS),
    ...commandRows(GROUPS.flatMap((g) => g.commands)),
    `  ${'supervisor [flags]'.padEnd(28)}Runs worker processes; the same program and flags as \`node dist/supervisor.js\``,
    '',
    'Every command but supervisor takes:',
    '  --redis URL                 Redis to use (rediss:// for TLS); env REDIS_URL, default redis://127.0.0.1:6379',
    '  --redis-cluster HOST:PORT[,...]  a Redis Cluster instead of --redis; env REDIS_CLUSTER_NODES',
    '  --redis-tls-ca PATH         PEM file of a private CA for rediss://; env TASKLANE_REDIS_TLS_CA',
    '  --queue NAME                queue name; env TASKLANE_QUEUE, default `default`',
    '  --json                      print one JSON document on stdout (on failure: {"error":{code,message,field?}})',
    '  -h, --help                  show help; works for every command and group',
    '  --completed-retention TIME, --completed-max N, --dead-retention TIME, --dedup-window TIME, --max-stalls N,',
    '  --shards N, --durability async|replicated',
    '                              the queue\'s storage settings, as the supervisor\'s flags and variables',
    '                              (TASKLANE_COMPLETED_RETENTION…, TASKLANE_SHARDS, TASKLANE_DURABILITY);',
    '                              give every process of a queue the same',
    '',
    'Run `tasklane <command> --help` for a command\'s flags, e.g. `tasklane dead retry --help`.',
    '`tasklane --version` prints the version (`--version --json`: {"version":"..."}).',
    '',
    EXIT_CODES_HELP,
    '',
  ].join('\n');
}

function print(io: Io, text: string): ExitCode {
  io.stdout.write(text);
  return ExitCode.Ok;
}

function version(): string {
  // dist/cli/main.js → the package root, two levels up.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
