/**
 * `tasklane list` and `tasklane cancel`: browsing the tasks of a state a page at a time, and
 * withdrawing a task that has not started.
 */
import { cancelOrExplain } from '../infra/cancel-or-explain.js';
import { ErrorCode, OptionError } from '../infra/errors.js';
import { LIST_SCAN_LIMIT, LIST_STATES, MAX_LIST_LIMIT, type ListOptions, type ListState, type TaskSummary } from '../infra/list-tasks.js';
import { expectPositionals, intFlag, laneFlag, stringFlag } from './args.js';
import type { Command } from './command.js';
import { NotFoundError } from './errors.js';
import { clip, table, time } from './output.js';

/**
 * `tasklane list --state STATE [--lane] [--type] [--limit N] [--cursor C]`: one page; the
 * cursor for the next one is printed after it.
 *
 * @example
 * tasklane list --state waiting --lane short --limit 50
 */
export const listCommand: Command = {
  name: 'list',
  args: '--state STATE',
  summary: 'Lists the tasks in one state, a page at a time, without their payloads.',
  details: [
    'Order: waiting by claim order (priority, then FIFO; without --lane both lanes merged), delayed by due time,',
    'active by lease expiry, completed and dead most recent first. A page ends with the --cursor of the next one;',
    'a task that stays in its state is never repeated or skipped between pages (an active task whose lease is',
    `renewed moves on, though). --type (and --lane outside waiting) looks at most ${LIST_SCAN_LIMIT} tasks per call, so a page`,
    'may be short, even empty, and still have a next one. `tasklane get ID` shows a task\'s payload.',
  ].join('\n'),
  flags: {
    state: { type: 'string', value: 'STATE', help: `${LIST_STATES.join(', ')} (required)` },
    lane: { type: 'string', value: 'LANE', help: 'short or long; waiting: that lane\'s claim order; other states: a filter' },
    type: { type: 'string', value: 'TYPE', help: 'only tasks of this type' },
    limit: { type: 'string', value: 'N', help: `at most N tasks; 1 to ${MAX_LIST_LIMIT}, default 20` },
    cursor: { type: 'string', value: 'CURSOR', help: 'continue after the previous page (its printed cursor)' },
  },
  examples: [
    'tasklane list --state waiting --lane short',
    'tasklane list --state dead --type report --limit 100 --json | jq -r ".tasks[].id"',
  ],
  async run({ values, positionals, out, queue }) {
    expectPositionals('tasklane list', positionals, []);
    const state = stringFlag(values, 'state');
    if (state === undefined || !(LIST_STATES as readonly string[]).includes(state)) {
      throw new OptionError('--state', `--state must be one of ${LIST_STATES.join(', ')}, got ${state === undefined ? 'nothing' : `\`${state}\``}`);
    }
    const options: ListOptions = { state: state as ListState, limit: intFlag(values, 'limit', 1, MAX_LIST_LIMIT) ?? 20 };
    const lane = laneFlag(values, 'lane');
    if (lane) options.lane = lane;
    const type = stringFlag(values, 'type');
    if (type) options.type = type;
    const cursor = stringFlag(values, 'cursor');
    if (cursor) options.cursor = cursor;
    const q = await queue();
    const page = await q.list(options);
    out.result(page, () => {
      const body = page.tasks.length === 0 ? `no ${state} tasks${page.nextCursor ? ' in this stretch' : ''} in queue \`${q.name}\`\n` : table(
        ['ID', 'TYPE', 'LANE', 'PRIORITY', 'ATTEMPTS', WHEN[options.state], 'DETAIL'],
        page.tasks.map((t) => [t.id, t.type, t.lane, String(t.priority), `${t.attempts}/${t.maxAttempts}`, time(whenOf(t, options.state)) ?? '-', detail(t)]),
      );
      return page.nextCursor ? `${body}next page: --cursor ${page.nextCursor}\n` : body;
    });
  },
};

/**
 * `tasklane cancel ID`: withdraws a waiting or delayed task; exit 1 when it is unknown or
 * already past that.
 *
 * @example
 * tasklane cancel report:7
 */
export const cancelCommand: Command = {
  name: 'cancel',
  args: 'ID',
  summary: 'Withdraws a waiting or delayed task. Its record stays, as cancelled, for the completed retention.',
  flags: {},
  notFound: 'the task is unknown, or no longer waiting or delayed (the message gives its state)',
  examples: ['tasklane cancel report:7', 'tasklane cancel report:7 --json'],
  async run({ positionals, out, queue }) {
    const [id] = expectPositionals('tasklane cancel', positionals, ['ID']) as [string];
    const q = await queue();
    const outcome = await cancelOrExplain(q, id);
    if (!outcome.cancelled) {
      if (outcome.seen === null) throw new NotFoundError(`no task \`${id}\` in queue \`${q.name}\``);
      throw new NotFoundError(`task \`${id}\` is ${outcome.seen} in queue \`${q.name}\`; only waiting or delayed tasks can be cancelled`, ErrorCode.NotCancellable);
    }
    out.result({ id, cancelled: true }, () => `cancelled ${id}`);
  },
};

const WHEN: Readonly<Record<ListState, string>> = { waiting: 'READY', delayed: 'DUE', active: 'LEASE ENDS', completed: 'FINISHED', dead: 'DIED' };

function whenOf(t: TaskSummary, state: ListState): number | undefined {
  if (state === 'active') return t.expiresAt;
  if (state === 'completed' || state === 'dead') return t.finishedAt;
  return t.runAt ?? t.createdAt;
}

function detail(t: TaskSummary): string {
  if (t.state === 'active') return `owner ${t.owner ?? '-'}`;
  return t.error ? clip(`${t.error.code ?? t.error.name}: ${t.error.message}`, 60) : '';
}
