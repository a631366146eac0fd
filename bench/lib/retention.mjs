// How each system keeps completed tasks in the bench, so that every timed run is in steady
// state: the store frees finished work while it is being timed, as a long-running queue must.
//   tasklane   completedRetentionMs = retentionMs; the complete script deletes records past it
//              (up to 200 per call), so reaping runs inside any window longer than retentionMs
//   BullMQ     removeOnComplete { age: retentionMs / 1000 } (its age is in seconds; fractions
//              work, since its moveToFinished script multiplies by 1000); also reaped at completion
//   bee-queue  removeOnSuccess: true, its only alternative to keeping every job forever; it
//              deletes each job at its completion, which is less work than an age cutoff
// The supervisor case runs tasklane's own runtime and gives it the same retention through
// `--completed-retention` (its workers' completions and its reaper reap by it).

/** Default retention of completed tasks (ms); --quick's runs are shorter, so they use QUICK_RETENTION_MS. */
export const RETENTION_MS = 1000;
export const QUICK_RETENTION_MS = 100;

/**
 * One line for results.json and the report: what each system was told to keep.
 *
 * @example
 * retentionText(1000) // 'completed tasks: tasklane completedRetentionMs 1000, ...'
 */
export function retentionText(retentionMs) {
  return `completed tasks: tasklane completedRetentionMs ${retentionMs} (supervisor case: --completed-retention ${retentionMs}ms); `
    + `BullMQ removeOnComplete { age: ${retentionMs / 1000} s }; bee-queue removeOnSuccess true (deleted at completion)`;
}

/** The key and command that count the completed tasks a system still holds. */
const HELD = {
  tasklane: (queue) => ['zcard', `tl:{${queue}}:completed`],
  bullmq: (queue) => ['zcard', `bull:${queue}:completed`],
  'bee-queue': (queue) => ['scard', `bq:${queue}:succeeded`],
};

/**
 * How many completed tasks `system` still indexes on `queue`: what reaping left.
 *
 * @example
 * const held = await heldCompleted(admin.client, 'tasklane', 'bench-tasklane-r0-process_2x50');
 */
export async function heldCompleted(redis, system, queue) {
  const [command, key] = HELD[system](queue);
  return Number(await redis.call(command, key));
}
