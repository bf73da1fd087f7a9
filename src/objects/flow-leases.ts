/**
 * The leases a flow holds (`registrar/lease.ts`), in its sockets' attachments: read, kept (while they fit),
 * updated or revoked by their AORs, shown to them; and the liveness limit the bridge is told once a bridged
 * flow carries a GB device.
 * @module
 */
import type { GbConfig } from '../config.js';
import { livenessTimeoutMs } from '../gb28181/device.js';
import { applyLeaseUpdate, holdsLiveBinding, type Lease, type LeaseUpdate } from '../registrar/lease.js';
import { isBridged } from '../transport/flow.js';
import { livenessFrame } from '../transport/liveness.js';
import type { FlowView } from './aor-leases.js';
import { AttachmentCache } from './attachments.js';

/** A flow's leases, over its attachment cache. */
export class FlowLeases {
  constructor(private readonly attachments: AttachmentCache) {}

  /** The lease for `aor` on this socket, if any. */
  get(ws: WebSocket, aor: string): Lease | null {
    return this.attachments.get(ws)?.leases[aor] ?? null;
  }

  /** Keep (or, with null, drop) the lease for `aor`. Reads the attachment fresh: requests run concurrently. */
  set(ws: WebSocket, aor: string, lease: Lease | null): void {
    const att = this.attachments.get(ws);
    if (!att || (lease === null && !(aor in att.leases))) return;
    const leases = { ...att.leases };
    const before = att.leases[aor];
    // A refresh changes only times and counts: a lease of the same shape fits where the old one did.
    const sameShape = before !== undefined && lease !== null && before.bindings.length === lease.bindings.length && before.others.length === lease.others.length;
    if (lease && (sameShape || AttachmentCache.fits(att, lease))) leases[aor] = lease;
    else delete leases[aor];
    this.attachments.set(ws, { ...att, leases });
  }

  /** Whether a lease for `aor` would fit (asked before the AOR grants one). */
  canHold(ws: WebSocket, aor: string): boolean {
    const att = this.attachments.get(ws);
    return att !== null && AttachmentCache.hasRoom(att, aor);
  }

  /**
   * Whether a request for `aor` must be refused here though the AOR still offers the binding: a WebSocket
   * flow without its socket (gone with a deploy), or a leased binding that lapsed (the lease is dropped).
   */
  lapsed(ws: WebSocket | null, aor: string, bridged: boolean, now: number): boolean {
    if (!ws) return !bridged;
    const lease = this.get(ws, aor);
    if (lease === null || holdsLiveBinding(lease, now)) return false;
    this.set(ws, aor, null);
    return true;
  }

  /** The AOR revoked (null) or updated its lease, on every socket that holds it. */
  update(sockets: readonly WebSocket[], aor: string, update: LeaseUpdate): void {
    for (const ws of sockets) {
      const lease = this.get(ws, aor);
      if (lease) this.set(ws, aor, applyLeaseUpdate(lease, update));
    }
  }

  /** What the flow holds for `aor`; a WebSocket flow without its socket is gone (a bridged one is not). */
  view(ws: WebSocket | null, aor: string, bridged: boolean): FlowView {
    if (!ws) return { gone: !bridged, lease: null };
    const lease = this.get(ws, aor);
    return { gone: false, lease: lease ? { bindings: lease.bindings, device: lease.device } : null };
  }

  /**
   * Once per socket, when a bridged flow carries a GB device: tell the bridge to close the device's
   * connection after misses × interval of silence (`transport/liveness.ts`).
   */
  tellLiveness(ws: WebSocket, gb: GbConfig | null, aors: () => Iterable<string>): void {
    const att = this.attachments.get(ws);
    if (!att || !gb || !isBridged(att.flow.transport) || att.liveness !== null) return;
    if (![...aors()].some((aor) => aor.endsWith(`@${gb.realm}`))) return;
    const timeoutMs = livenessTimeoutMs({ intervalSeconds: gb.keepaliveInterval, misses: gb.keepaliveMisses });
    ws.send(livenessFrame(timeoutMs));
    this.attachments.set(ws, { ...att, liveness: timeoutMs });
  }
}
