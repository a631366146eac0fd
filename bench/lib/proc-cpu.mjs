// CPU time of a process and all its descendants, from /proc (Linux): the supervisor case's
// client CPU, since its worker processes are the supervisor's children, not the runner's.
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on every Linux the bench runs on

/**
 * User + system CPU ms used so far by `pid` and every live descendant; null off Linux or once `pid` is gone.
 *
 * @example
 * const before = treeCpuMs(child.pid);
 */
export function treeCpuMs(pid) {
  try {
    return own(pid) + descendants(pid).reduce((total, p) => total + safe(() => own(p), 0), 0);
  } catch {
    return null;
  }
}

function own(pid) {
  // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function descendants(pid) {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    safe(() => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8'), '').split(' ').filter(Boolean).map(Number));
  return children.flatMap((c) => [c, ...safe(() => descendants(c), [])]);
}

function safe(read, fallback) {
  try {
    return read();
  } catch {
    return fallback; // the process ended between the listing and the read
  }
}
