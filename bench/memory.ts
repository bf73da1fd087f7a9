/**
 * Memory per idle registered WebSocket device (issue #6, part 4), for the local Worker (workerd processes)
 * and for Kamailio (its main process and children).
 *
 * Method: sum the server processes' memory, open N WebSocket connections and register each one once
 * (digest, as in {@link runWsRegister}), let them sit idle, sum again; the difference divided by N is the cost
 * of one idle registered device. Two sums are taken: VmRSS (/proc/<pid>/status), as asked, and PSS
 * (/proc/<pid>/smaps_rollup), which counts a shared page once across processes; Kamailio keeps its state in
 * shared memory mapped by every child, so only PSS is meaningful across its processes.
 *
 * Bounded: registration uses `concurrency` connections at a time with a per-transaction timeout; idle waits
 * are fixed.
 * @module
 */
import { memoryOf, type Memory, type Proc } from './procs.js';
import { sleep } from './stats.js';
import { openClientsSettled, pool, type SipWsClient } from './ws-register.js';

/** Knobs of one memory measurement. */
export interface MemoryOptions {
  /** SIP WebSocket URL of the target. */
  url: string;
  /** The target's server processes. */
  processes: () => Proc[];
  devices: number;
  /** Users b<firstUser> … b<firstUser+devices-1>. */
  firstUser: number;
  /** Connections opened / registered at once. */
  concurrency: number;
  /** Idle time before the measurement, ms. */
  idleMs: number;
}

/** The measurement. */
export interface MemoryResult {
  devices: number;
  registered: number;
  before: Memory;
  after: Memory;
  /** (after − before) / registered, KiB. */
  rssKbPerDevice: number;
  pssKbPerDevice: number;
  /** Seconds to connect and register every device. */
  setupSec: number;
}

/** Open and register `devices` idle devices, measure, then close them. */
export async function runMemory(o: MemoryOptions): Promise<MemoryResult> {
  const pids = () => o.processes().map((p) => p.pid);
  await sleep(Math.min(2000, o.idleMs));
  const before = memoryOf(pids());
  const t0 = performance.now();
  let clients: SipWsClient[] = [];
  let registered = 0;
  try {
    const opened = await openClientsSettled(o.url, o.devices, o.firstUser, o.concurrency, 15_000);
    clients = opened.clients;
    if (opened.errors.length) console.error(`memory: ${o.devices - clients.length} connections failed: ${opened.errors.join('; ')}`);
    let failures = 0; // after 20 failed registrations the target is saturated: stop, stay bounded
    const ok = await pool(clients, o.concurrency, (c) => (failures >= 20 ? Promise.resolve(false)
      : c.register(15_000).then(() => true, () => (failures++, false))));
    registered = ok.filter(Boolean).length;
    const setupSec = (performance.now() - t0) / 1000;
    await sleep(o.idleMs);
    const after = memoryOf(pids());
    const per = (a: number, b: number) => (registered ? (a - b) / registered : NaN);
    return {
      devices: o.devices, registered, before, after, setupSec,
      rssKbPerDevice: per(after.rssKb, before.rssKb),
      pssKbPerDevice: per(after.pssKb, before.pssKb),
    };
  } finally {
    for (const c of clients) c.close();
    await sleep(500);
  }
}
