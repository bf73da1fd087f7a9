/**
 * The state of a connection that survives hibernation, in its socket attachment (≤ 16 KiB), read once per
 * wake and written back whenever it changes: the model of partyserver's `AttachmentCache`.
 * @module
 */
import type { Flow } from '../transport/flow.js';
import type { Lease } from '../registrar/lease.js';
import type { PendingMetrics } from './metrics-buffer.js';
import type { FlowTraceState } from '../trace/marks.js';

/** What a flow keeps across hibernation. */
export interface FlowAttachment {
  flow: Flow;
  /**
   * AORs that hold a binding on this WebSocket flow: told when the flow closes. A bridged UDP flow keeps
   * its AORs in storage instead (`udp-flow-aors.ts`).
   */
  aors: string[];
  /** Leases the AORs lent this flow, by AOR (`registrar/lease.ts`). */
  leases: Record<string, Lease>;
  /** Counters not yet sent to a metrics shard. */
  metrics: PendingMetrics | null;
  /** The liveness limit the bridge was told for this socket (ms), or null. */
  liveness: number | null;
  /** Live traces this flow copies messages to (`objects/flow-trace.ts`); null, the usual case: none. */
  trace: FlowTraceState | null;
}

/** The runtime's limit on a serialized attachment. */
export const ATTACHMENT_LIMIT_BYTES = 16_384;
/** Room a lease may take; past it an AOR goes without one (its refreshes reach the AOR, as before leases). */
const LEASE_BUDGET_BYTES = 12_288;

/**
 * Attachments of an object's sockets, deserialized once per wake. Changes are kept in memory and written to
 * the runtime once per event ({@link AttachmentCache.flush}): a `serializeAttachment` costs about 10 µs, and
 * a refresh changes the lease and the counters.
 */
export class AttachmentCache {
  readonly #cache = new WeakMap<WebSocket, FlowAttachment>();
  readonly #dirty = new Set<WebSocket>();

  /** The socket's attachment, or null for a socket that has none (never accepted by us). */
  get(ws: WebSocket): FlowAttachment | null {
    let att = this.#cache.get(ws);
    if (att === undefined) {
      const raw = ws.deserializeAttachment() as Partial<FlowAttachment> | null;
      if (!raw?.flow) return null;
      // Attachments written before leases existed lack the newer fields.
      att = { flow: raw.flow, aors: raw.aors ?? [], leases: raw.leases ?? {}, metrics: raw.metrics ?? null, liveness: raw.liveness ?? null, trace: raw.trace ?? null };
      this.#cache.set(ws, att);
    }
    return att;
  }

  /** Replace the attachment in memory; the runtime gets it at the next {@link flush}. */
  set(ws: WebSocket, att: FlowAttachment): void {
    this.#cache.set(ws, att);
    this.#dirty.add(ws);
  }

  /** Whether the attachment changed since it was last written. */
  isDirty(ws: WebSocket): boolean {
    return this.#dirty.has(ws);
  }

  /** Write what changed to the runtime (it must survive hibernation). Call at the end of every event. */
  flush(): void {
    for (const ws of this.#dirty) {
      const att = this.#cache.get(ws);
      try {
        if (att) ws.serializeAttachment(att);
      } catch {
        // the socket closed meanwhile: nothing to keep
      }
    }
    this.#dirty.clear();
  }

  /** Whether `lease` fits beside what the attachment holds (leases of other AORs included). */
  static fits(att: FlowAttachment, lease: Lease): boolean {
    return othersSize(att, lease.aor) + JSON.stringify(lease).length <= LEASE_BUDGET_BYTES;
  }

  /** Whether a typical lease for `aor` would fit (asked before the AOR grants one). */
  static hasRoom(att: FlowAttachment, aor: string): boolean {
    return othersSize(att, aor) + TYPICAL_LEASE_BYTES <= LEASE_BUDGET_BYTES;
  }
}

/** A lease with one binding takes about this much (an HA1, a contact, a Path, a user agent). */
const TYPICAL_LEASE_BYTES = 1_536;

function othersSize(att: FlowAttachment, aor: string): number {
  let n = 0;
  for (const [a, l] of Object.entries(att.leases)) if (a !== aor) n += JSON.stringify(l).length;
  return n;
}
