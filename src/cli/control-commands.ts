/**
 * `tasklane pause`, `resume` and `forget`: operator controls that change no task.
 * Pausing stops claims on a lane in Redis, so every supervisor on the queue obeys it.
 */
import type { TaskQueue } from '../infra/task-queue.js';
import type { Lane } from '../infra/types.js';
import { expectPositionals, laneFlag } from './args.js';
import type { Command } from './command.js';
import { NotFoundError } from './errors.js';
import { fields, time } from './output.js';

/**
 * `tasklane pause [--lane LANE]`: no new claims on the lane (both by default).
 *
 * @example
 * tasklane pause --lane long
 */
export const pauseCommand: Command = laneCommand('pause', 'Pauses claims on a lane (both by default): waiting tasks stay, running tasks finish, enqueue still works.', (q, lane) => q.pause(lane));

/**
 * `tasklane resume [--lane LANE]`: claims on the lane go on; idle workers claim at once.
 *
 * @example
 * tasklane resume
 */
export const resumeCommand: Command = laneCommand('resume', 'Resumes claims on a lane (both by default); idle workers claim at once.', (q, lane) => q.resume(lane));

function laneCommand(name: 'pause' | 'resume', summary: string, act: (q: TaskQueue, lane: Lane | undefined) => Promise<Lane[]>): Command {
  return {
    name,
    args: '',
    summary,
    details: 'The state lives in Redis: every supervisor on the queue obeys it, and it survives restarts. Running it again changes nothing.',
    flags: { lane: { type: 'string', value: 'LANE', help: 'short or long; default both' } },
    examples: [`tasklane ${name}`, `tasklane ${name} --lane long --json`],
    async run({ values, positionals, out, queue }) {
      expectPositionals(`tasklane ${name}`, positionals, []);
      const lane = laneFlag(values, 'lane');
      const q = await queue();
      const changed = await act(q, lane);
      const paused = await q.paused();
      out.result({ changed, paused }, () => fields([
        ['queue', q.name],
        [name === 'pause' ? 'paused now' : 'resumed now', changed.length > 0 ? changed.join(', ') : 'none (already so)'],
        ['short', paused.short ? 'paused' : 'running'],
        ['long', paused.long ? 'paused' : 'running'],
      ]));
    },
  };
}

/**
 * `tasklane forget ID`: clears the dedup marker of a purged or expired id.
 *
 * @example
 * tasklane forget report:7
 */
export const forgetCommand: Command = {
  name: 'forget',
  args: 'ID',
  summary: 'Lets a purged or expired id be enqueued again before its dedup window ends.',
  details: 'Refused (exit 1, TASKLANE_ERR_ID_IN_USE) while the task still has a record: purge or wait for it first. Nothing stored is touched.',
  flags: {},
  notFound: 'the id still has a record, or nothing refuses it',
  examples: ['tasklane forget report:7', 'tasklane dead purge report:7 && tasklane forget report:7'],
  async run({ positionals, out, queue }) {
    const [id] = expectPositionals('tasklane forget', positionals, ['ID']) as [string];
    const q = await queue();
    if (!(await q.forget(id))) throw new NotFoundError(`nothing refuses \`${id}\` in queue \`${q.name}\`; it may be enqueued`);
    out.result({ id, forgotten: true }, () => `forgot ${id}; it may be enqueued again`);
  },
};

/**
 * The not-found error of `tasklane get`, saying when a purged or expired id is refused until.
 *
 * @example
 * throw await missingTask(q, 'a');
 */
export async function missingTask(q: TaskQueue, id: string): Promise<NotFoundError> {
  const refusal = await q.refusal(id);
  if (!refusal) return new NotFoundError(`no task \`${id}\` in queue \`${q.name}\``);
  const until = refusal.refusedUntil === null ? 'until its marker is removed' : `until ${time(refusal.refusedUntil)}`;
  return new NotFoundError(`no task \`${id}\` in queue \`${q.name}\`: its record was purged or expired, and enqueue refuses the id ${until} (\`tasklane forget ${id}\` clears that)`);
}
