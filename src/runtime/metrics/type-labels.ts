/**
 * Bounds on the `type` label. Any producer can invent task types, and every distinct label
 * value is a time series Prometheus keeps (and this process keeps in memory), so one bad
 * producer could otherwise grow both without limit.
 */

/** Distinct `type` label values per metric family; the rest are counted under {@link OTHER_TYPE}. */
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

/**
 * Keeps the `max` largest counts by type and sums the rest into `other`. Ties go to the
 * name that sorts first, so a scrape's answer does not depend on Redis's hash order.
 *
 * @example
 * largestTypes({ a: 5, b: 1, c: 3 }, 2) // { a: 5, c: 3, other: 1 }
 */
export function largestTypes(counts: Readonly<Record<string, number>>, max = MAX_TYPE_LABELS): Record<string, number> {
  const entries = Object.entries(counts).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  // No prototype: a type may be named `__proto__`.
  const kept: Record<string, number> = Object.create(null) as Record<string, number>;
  let size = 0;
  let other: number | null = null;
  for (const [type, count] of entries) {
    if (type !== OTHER_TYPE && size < max) {
      kept[type] = count;
      size += 1;
    } else {
      other = (other ?? 0) + count;
    }
  }
  if (other !== null) kept[OTHER_TYPE] = other;
  return kept;
}
