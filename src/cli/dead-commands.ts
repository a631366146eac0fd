/**
 * `tasklane dead list|retry|purge`: the dead letters, one or all at once. `--all` runs the
 * engine's chunked bulk operations, so it is safe on a dead set of any size.
 */
import { OptionError } from '../infra/errors.js';
import type { TaskQueue } from '../infra/task-queue.js';
import { expectPositionals, intFlag, type FlagValues } from './args.js';
import type { Command, CommandGroup } from './command.js';
import { NotFoundError } from './errors.js';
import { clip, table, time } from './output.js';

/**
 * `tasklane dead list [--limit N] [--offset N]`: most recent first.
 *
 * @example
 * tasklane dead list --limit 5
 */
export const deadListCommand: Command = {
  name: 'dead list',
  args: '',
  summary: 'Lists dead letters, most recent first, with their last error.',
  flags: {
    limit: { type: 'string', value: 'N', help: 'at most N dead letters; 1 to 10000, default 20' },
    offset: { type: 'string', value: 'N', help: 'skip the N most recent; default 0' },
  },
  examples: ['tasklane dead list', 'tasklane dead list --limit 100 --json | jq -r ".[].id"'],
  async run({ values, positionals, out, queue }) {
    expectPositionals('tasklane dead list', positionals, []);
    const limit = intFlag(values, 'limit', 1, 10_000) ?? 20;
    const offset = intFlag(values, 'offset') ?? 0;
    const q = await queue();
    const dead = await q.deadLetters({ limit, offset });
    out.result(dead, () => {
      if (dead.length === 0) return `no dead letters in queue \`${q.name}\`${offset > 0 ? ` past the ${offset} most recent` : ''}`;
      const rows = dead.map((t) => [t.id, t.type, t.lane, `${t.attempts}/${t.maxAttempts}`, time(t.finishedAt) ?? '-', clip(t.error ? `${t.error.code ?? t.error.name}: ${t.error.message}` : '-', 80)]);
      return table(['ID', 'TYPE', 'LANE', 'ATTEMPTS', 'DIED', 'ERROR'], rows);
    });
  },
};

/**
 * `tasklane dead retry ID|--all`.
 *
 * @example
 * tasklane dead retry --all --json   // {"retried":42}
 */
export const deadRetryCommand: Command = {
  name: 'dead retry',
  args: '(ID | --all)',
  summary: 'Replays a dead letter (or every one): back to waiting at its priority, attempts reset.',
  details: '--all works in chunks of one atomic script call each, so it never blocks Redis for long; it replays the\ndead letters there were when it started, not tasks that die while it runs. Corrupt dead letters stay.',
  flags: { all: { type: 'boolean', help: 'replay every dead letter' } },
  notFound: 'ID is not a dead letter (unknown, expired, corrupt or in another state)',
  examples: ['tasklane dead retry welcome:42', 'tasklane dead retry --all'],
  async run({ values, positionals, out, queue }) {
    const id = oneOrAll('tasklane dead retry', values, positionals);
    const q = await queue();
    if (id === undefined) {
      const retried = await q.retryAllDead();
      out.result({ retried }, () => `retried ${retried} dead letter${retried === 1 ? '' : 's'}`);
      return;
    }
    if (!(await q.retryDead(id))) throw notDead(q, id);
    out.result({ id, retried: true }, () => `retried ${id}`);
  },
};

/**
 * `tasklane dead purge ID|--all`.
 *
 * @example
 * tasklane dead purge --all
 */
export const deadPurgeCommand: Command = {
  name: 'dead purge',
  args: '(ID | --all)',
  summary: 'Deletes a dead letter (or every one). A purged id stays refused by enqueue for the dedup window.',
  details: '--all works in chunks of one atomic script call each, so it never blocks Redis for long; it deletes the\ndead letters there were when it started.',
  flags: { all: { type: 'boolean', help: 'delete every dead letter' } },
  notFound: 'ID is not a dead letter (unknown, expired or in another state)',
  examples: ['tasklane dead purge welcome:42', 'tasklane dead purge --all --json'],
  async run({ values, positionals, out, queue }) {
    const id = oneOrAll('tasklane dead purge', values, positionals);
    const q = await queue();
    if (id === undefined) {
      const purged = await q.purgeAllDead();
      out.result({ purged }, () => `purged ${purged} dead letter${purged === 1 ? '' : 's'}`);
      return;
    }
    if (!(await q.purgeDead(id))) throw notDead(q, id);
    out.result({ id, purged: true }, () => `purged ${id}`);
  },
};

/**
 * The `dead` group.
 *
 * @example
 * deadGroup.commands.map((c) => c.name) // ['dead list', 'dead retry', 'dead purge']
 */
export const deadGroup: CommandGroup = {
  name: 'dead',
  summary: 'Inspects, replays and deletes dead letters: tasks that ran out of attempts or failed for good.',
  commands: [deadListCommand, deadRetryCommand, deadPurgeCommand],
};

/** The id to act on, or undefined for `--all`; exactly one of the two must be given. */
function oneOrAll(command: string, values: FlagValues, positionals: readonly string[]): string | undefined {
  const [id] = expectPositionals(command, positionals, ['ID'], true);
  if (values.all && id !== undefined) throw new OptionError('--all', `\`${command}\` takes an ID or --all, not both`);
  if (!values.all && id === undefined) throw new OptionError('argv', `\`${command}\` needs an ID or --all`);
  return id;
}

function notDead(queue: TaskQueue, id: string): NotFoundError {
  return new NotFoundError(`task \`${id}\` is not a dead letter in queue \`${queue.name}\``);
}
