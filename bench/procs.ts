/**
 * Process helpers for the benchmarks (Linux /proc): descendants of a process and their memory.
 * @module
 */
import { readFileSync, readdirSync } from 'node:fs';

/** A process id with its command name. */
export interface Proc {
  pid: number;
  comm: string;
}

/** Every descendant of `root` (children, grandchildren …), optionally only those whose name matches. */
export function descendants(root: number, name?: RegExp): Proc[] {
  const parent = new Map<number, Proc & { ppid: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      parent.set(Number(d), { pid: Number(d), comm, ppid });
    } catch {
      // the process ended while listing
    }
  }
  const out: Proc[] = [];
  const seen = new Set([root]);
  let frontier = [root];
  while (frontier.length) {
    const next: number[] = [];
    for (const p of parent.values()) {
      if (seen.has(p.ppid) && !seen.has(p.pid) && frontier.includes(p.ppid)) {
        seen.add(p.pid);
        next.push(p.pid);
        if (!name || name.test(p.comm)) out.push({ pid: p.pid, comm: p.comm });
      }
    }
    frontier = next;
  }
  return out;
}

/** Resident and proportional set sizes in KiB, summed over processes. PSS splits shared pages fairly. */
export interface Memory {
  rssKb: number;
  pssKb: number;
}

function field(text: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** VmRSS (from /proc/<pid>/status) and Pss (from /proc/<pid>/smaps_rollup), summed. */
export function memoryOf(pids: readonly number[]): Memory {
  let rssKb = 0;
  let pssKb = 0;
  for (const pid of pids) {
    try {
      rssKb += field(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
      pssKb += field(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {
      // gone
    }
  }
  return { rssKb, pssKb };
}
