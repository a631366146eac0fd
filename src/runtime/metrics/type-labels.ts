/**
 * Bounds on the `type` label. Any producer can invent task types, and every distinct label
 * value is a time series Prometheus keeps (and this process keeps in memory), so one bad
 * producer could otherwise grow both without limit.
 */

/**
 * Distinct `type` label values per metric family; the rest are counted under {@link OTHER_TYPE}.
 * The enqueue script (infra/lua/enqueue.lua) bounds the enqueued-by-type hash the same way.
 */
export const MAX_TYPE_LABELS = 100;
/** The label value of every type past the cap (and of a task type actually named `other`). */
export const OTHER_TYPE = 'other';

/**
 * The `type` label of one metric family: the first {@link MAX_TYPE_LABELS} types seen keep
 * their own label for the life of the process, later ones become `other`. First come rather
 * than largest, so an existing series never turns into `other` (its counter would appear to
 * reset).
 *
 * @example
 * const label = typeLabeler();
 * counter.inc({ type: label(task.type) });
 */
export function typeLabeler(max = MAX_TYPE_LABELS): (type: string) => string {
  const seen = new Set<string>();
  return (type) => {
    if (seen.has(type)) return type;
    if (seen.size >= max || type === OTHER_TYPE) return OTHER_TYPE;
    seen.add(type);
    return type;
  };
}
