/**
 * `tasklane enqueue`, `get` and `stats`: adding a task and looking at tasks.
 */
import { OptionError } from '../infra/errors.js';
import type { QueueStats, TaskInfo, TaskInput } from '../infra/types.js';
import { durationFlag, expectPositionals, intFlag, jsonFlag, laneFlag, stringFlag } from './args.js';
import type { Command } from './command.js';
import { missingTask } from './control-commands.js';
import { fields, time } from './output.js';

/**
 * `tasklane enqueue --payload JSON [...]`. A duplicate id is a success (exit 0): enqueue is
 * idempotent, so a producer may safely run the same command again after a failure.
 *
 * @example
 * tasklane enqueue --id welcome:42 --payload '{"to":"ada@example.com"}' --priority 10
 */
export const enqueueCommand: Command = {
  name: 'enqueue',
  args: '--payload JSON',
  summary: 'Adds a task, or reports that its id is already known (a duplicate changes nothing).',
  details: 'Values are checked by the engine as for TaskQueue.enqueue; an invalid one exits 2 with its TASKLANE_ERR_* code.\nTIME is milliseconds, or a number with ms, s, m or h (500ms, 30s, 2m, 1h).',
  flags: {
    payload: { type: 'string', value: 'JSON', help: 'the task payload, as JSON (required)' },
    id: { type: 'string', value: 'ID', help: 'dedup key; default a random UUID' },
    type: { type: 'string', value: 'TYPE', help: 'picks the handler; default http' },
    lane: { type: 'string', value: 'LANE', help: 'short or long; default short' },
    priority: { type: 'string', value: 'N', help: 'lower runs first; 0 to 2147483647, default 1000' },
    delay: { type: 'string', value: 'TIME', help: 'hold the task back this long; default 0' },
    'max-attempts': { type: 'string', value: 'N', help: 'attempts before it is dead-lettered; 1 to 1000, default 5' },
    timeout: { type: 'string', value: 'TIME', help: 'short-lane deadline per attempt; default the actor\'s' },
  },
  examples: [
    `tasklane enqueue --payload '{"to":"ada@example.com"}'`,
    `tasklane enqueue --id report:7 --lane long --priority 10 --delay 5m --payload '{"month":"2026-11"}' --json`,
  ],
  async run({ values, positionals, out, queue }) {
    expectPositionals('tasklane enqueue', positionals, []);
    const payload = jsonFlag(values, 'payload');
    if (payload === undefined) throw new OptionError('--payload', '--payload is required: the task payload as JSON, e.g. --payload \'{"to":"ada@example.com"}\' or --payload null');
    const input: TaskInput = { payload };
    const set = <K extends keyof TaskInput>(key: K, value: TaskInput[K] | undefined) => {
      if (value !== undefined) input[key] = value;
    };
    set('id', stringFlag(values, 'id'));
    set('type', stringFlag(values, 'type'));
    set('lane', laneFlag(values, 'lane'));
    set('priority', intFlag(values, 'priority'));
    set('delayMs', durationFlag(values, 'delay'));
    set('maxAttempts', intFlag(values, 'max-attempts'));
    set('timeoutMs', durationFlag(values, 'timeout'));
    const result = await (await queue()).enqueue(input);
    out.result(result, () => (result.duplicate ? `duplicate ${result.id} (already known; nothing changed)` : `enqueued ${result.id}`));
  },
};

/**
 * `tasklane get ID`: one task record; exit 1 when it is unknown or has expired.
 *
 * @example
 * tasklane get welcome:42 --json
 */
export const getCommand: Command = {
  name: 'get',
  args: 'ID',
  summary: 'Shows one task: its state, attempts, payload, result or last error.',
  flags: {},
  notFound: 'no task has this id (never enqueued, or its record has expired; the message says until when enqueue still refuses it)',
  examples: ['tasklane get welcome:42', 'tasklane get welcome:42 --json | jq .state'],
  async run({ positionals, out, queue }) {
    const [id] = expectPositionals('tasklane get', positionals, ['ID']) as [string];
    const q = await queue();
    const task = await q.get(id);
    if (!task) throw await missingTask(q, id);
    out.result(task, () => describeTask(task));
  },
};

/**
 * `tasklane stats`: tasks per state.
 *
 * @example
 * tasklane stats --queue emails
 */
export const statsCommand: Command = {
  name: 'stats',
  args: '',
  summary: 'Counts the tasks of the queue per state.',
  flags: {},
  examples: ['tasklane stats', 'tasklane stats --queue emails --json'],
  async run({ positionals, out, queue }) {
    expectPositionals('tasklane stats', positionals, []);
    const q = await queue();
    const stats = await q.stats();
    out.result(stats, () => describeStats(q.name, stats));
  },
};

function describeStats(queue: string, s: QueueStats): string {
  return fields([
    ['queue', queue],
    ['waiting', `${s.waiting.short + s.waiting.long} (short ${s.waiting.short}, long ${s.waiting.long})`],
    ['delayed', s.delayed],
    ['active', s.active],
    ['completed', s.completed],
    ['dead', s.dead],
    ['paused', s.paused.short || s.paused.long ? [s.paused.short && 'short', s.paused.long && 'long'].filter(Boolean).join(', ') : 'none'],
  ]);
}

function describeTask(t: TaskInfo): string {
  const error = t.error ? `${t.error.code ? `${t.error.code}: ` : ''}${t.error.message}${t.error.status ? ` (status ${t.error.status})` : ''}` : undefined;
  return fields([
    ['id', t.id],
    ['state', t.state],
    ['type', t.type],
    ['lane', t.lane],
    ['priority', t.priority],
    ['attempts', `${t.attempts} of ${t.maxAttempts}`],
    ['stalls', t.stalls],
    ['timeout', t.timeoutMs > 0 ? `${t.timeoutMs} ms` : undefined],
    ['owner', t.owner],
    ['created', time(t.createdAt)],
    ['started', time(t.startedAt)],
    ['finished', time(t.finishedAt)],
    ['run at', time(t.runAt)],
    ['payload', JSON.stringify(t.payload)],
    ['result', t.result === undefined ? undefined : JSON.stringify(t.result)],
    ['error', error],
  ]);
}
