/**
 * `tasklane api`: the external API guard's shared state (breaker, rate, in-flight permits,
 * 429 pause), and `--breaker open|closed|auto` to hold the breaker for every worker.
 */
import { OptionError } from '../infra/errors.js';
import { forceBreaker, readGuardStates, type ReadGuardState } from '../infra/api/read-state.js';
import { expectPositionals, stringFlag } from './args.js';
import type { Command } from './command.js';
import { fields, time } from './output.js';

const MODES = ['open', 'closed', 'auto'] as const;

/**
 * `tasklane api [--scope NAME] [--breaker open|closed|auto] [--json]`.
 *
 * @example
 * tasklane api --breaker open   # no calls to the API from any worker until `--breaker auto`
 */
export const apiCommand: Command = {
  name: 'api',
  args: '',
  summary: 'Shows the external API guard (breaker, rate limit, permits in flight, 429 pause); forces its breaker.',
  details: [
    'The state is the one every worker of the queue shares in Redis, on the server\'s clock. --breaker open holds',
    'the breaker open (no calls; tasks wait uncounted), closed keeps it closed whatever fails, auto hands it back',
    'to the measured state, starting closed with a clean window. --scope names a handlers module\'s guard.',
  ].join('\n'),
  flags: {
    scope: { type: 'string', value: 'NAME', help: 'the guard: http (the built-in handler) or a handlers module\'s; default http' },
    breaker: { type: 'string', value: 'MODE', help: 'open, closed or auto: hold the breaker for every worker, or hand it back' },
  },
  examples: ['tasklane api', 'tasklane api --breaker open', 'tasklane api --scope images --json'],
  async run({ values, positionals, out, queue }) {
    expectPositionals('tasklane api', positionals, []);
    const scope = stringFlag(values, 'scope') ?? 'http';
    const mode = stringFlag(values, 'breaker');
    if (mode !== undefined && !(MODES as readonly string[]).includes(mode)) {
      throw new OptionError('--breaker', `--breaker must be one of ${MODES.join(', ')}, got \`${mode}\``);
    }
    const q = await queue();
    if (mode !== undefined) await forceBreaker(q, scope, mode as (typeof MODES)[number]);
    const [state] = await readGuardStates(q, [scope]);
    if (!state) throw new Error(`could not read the \`${scope}\` guard's state from Redis`);
    out.result(state, () => describeState(state, mode));
  },
};

function describeState(s: ReadGuardState, forced: string | undefined): string {
  const b = s.breaker;
  const breaker = [
    b.state,
    b.forced ? `(held ${b.forced} by an operator)` : '',
    b.until ? `probe from ${time(b.until)}` : '',
    b.probing ? 'probe out' : '',
  ].filter(Boolean).join(', ');
  const lines = fields([
    ['scope', s.scope],
    ['breaker', breaker],
    ['cooldown', `${b.cooldownMs} ms`],
    ['outcomes', `${s.window.ok} ok, ${s.window.fail} failed in the last ${s.window.ms} ms`],
    ['paused until', s.pausedUntil ? time(s.pausedUntil) ?? String(s.pausedUntil) : 'not paused'],
    ['calls', `${s.callsLastSecond} in the last second`],
    ['in flight', String(s.inFlight.count)],
  ]);
  return `${forced ? `breaker set to ${forced}\n` : ''}${lines}`;
}
