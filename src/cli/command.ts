/**
 * The shape of a `tasklane` command and its `--help` text. Each command declares its
 * flags and arguments once; parsing, usage errors and help are all derived from that.
 */
import type { TaskQueue } from '../infra/task-queue.js';
import { COMMON_FLAGS, type FlagSpec, type FlagValues } from './args.js';
import { EXIT_CODES_HELP } from './errors.js';
import type { Output } from './output.js';

/** What a command's `run` gets. */
export interface CommandContext {
  readonly values: FlagValues;
  readonly positionals: readonly string[];
  readonly out: Output;
  /** Opens the queue on first use; the CLI closes it after `run`, whatever happens. */
  queue(): Promise<TaskQueue>;
}

/** One command, e.g. `dead retry`. */
export interface Command {
  /** Words after `tasklane`, e.g. `dead retry`. */
  readonly name: string;
  /** Arguments as shown in `Usage:`, e.g. `(ID | --all)`. */
  readonly args: string;
  readonly summary: string;
  /** Extra paragraphs for `--help`. */
  readonly details?: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** What exit 1 means for this command; omitted when it never exits 1 on purpose. */
  readonly notFound?: string;
  readonly examples: readonly string[];
  run(ctx: CommandContext): Promise<void>;
}

/** Commands that share a first word, e.g. `dead list|retry|purge`. */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly Command[];
}

/**
 * The `--help` of one command.
 *
 * @example
 * process.stdout.write(commandHelp(getCommand));
 */
export function commandHelp(command: Command): string {
  const args = command.args ? ` ${command.args}` : '';
  const lines = [`Usage: tasklane ${command.name}${args} [flags]`, '', command.summary];
  if (command.details) lines.push('', command.details);
  if (Object.keys(command.flags).length > 0) lines.push('', 'Flags:', ...flagRows(command.flags));
  lines.push('', 'Common flags:', ...flagRows(COMMON_FLAGS));
  lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  lines.push('', EXIT_CODES_HELP);
  if (command.notFound) lines.push(`Exit 1 here means: ${command.notFound}.`);
  return `${lines.join('\n')}\n`;
}

/**
 * The `--help` of a group: its commands, one line each.
 *
 * @example
 * process.stdout.write(groupHelp(deadGroup));
 */
export function groupHelp(group: CommandGroup): string {
  return [
    `Usage: tasklane ${group.name} <command> [flags]`,
    '',
    group.summary,
    '',
    'Commands:',
    ...commandRows(group.commands),
    '',
    `Run \`tasklane ${group.name} <command> --help\` for a command's flags.`,
    EXIT_CODES_HELP,
    '',
  ].join('\n');
}

/**
 * One aligned line per command: its usage and summary.
 *
 * @example
 * commandRows([getCommand]) // ['  get ID                    Shows one task …']
 */
export function commandRows(commands: readonly Command[]): string[] {
  return commands.map((c) => `  ${`${c.name}${c.args ? ` ${c.args}` : ''}`.padEnd(28)}${c.summary}`);
}

function flagRows(flags: Readonly<Record<string, FlagSpec>>): string[] {
  return Object.entries(flags).map(([name, flag]) => {
    const left = `  ${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.value ? ` ${flag.value}` : ''}`;
    return `${left.padEnd(27)} ${flag.help}`;
  });
}
