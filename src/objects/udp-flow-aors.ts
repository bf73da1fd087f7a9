/**
 * The AORs with a binding on a bridged (UDP or TCP) flow, kept in the flow object's storage (a row each). A UDP flow
 * outlives its sockets (the bridge reconnects) and may carry a whole site's accounts, more than a socket
 * attachment holds (16 KiB); WebSocket flows keep theirs in the attachment, since they die with it.
 * @module
 */

import { isBridged } from '../transport/flow.js';
import type { AttachmentCache, FlowAttachment } from './attachments.js';

const SCHEMA = 'CREATE TABLE IF NOT EXISTS flow_aors (aor TEXT PRIMARY KEY)';

/** A UDP flow's AORs: read from storage once, written only when one is bound or unbound. */
export class UdpFlowAors {
  private aors: Set<string> | null = null;

  /** @param legacy AORs still held in socket attachments (written before they moved to storage), moved over once. */
  constructor(private readonly exec: SqlStorage['exec'], private readonly legacy: () => readonly string[]) {}

  has(aor: string): boolean {
    return this.load().has(aor);
  }

  /** Record that `aor` has (or no longer has) a binding on the flow. */
  set(aor: string, bound: boolean): void {
    const aors = this.load();
    if (aors.has(aor) === bound) return;
    this.exec(bound ? 'INSERT OR IGNORE INTO flow_aors (aor) VALUES (?)' : 'DELETE FROM flow_aors WHERE aor = ?', aor);
    if (bound) aors.add(aor);
    else aors.delete(aor);
  }

  get size(): number {
    return this.load().size;
  }

  /** Read the AORs now (and move over those still in attachments, before their sockets go). */
  load(): Set<string> {
    if (this.aors === null) {
      this.exec(SCHEMA);
      for (const aor of this.legacy()) this.exec('INSERT OR IGNORE INTO flow_aors (aor) VALUES (?)', aor);
      this.aors = new Set(this.exec<{ aor: string }>('SELECT aor FROM flow_aors').toArray().map((r) => r.aor));
    }
    return this.aors;
  }
}

/**
 * Which AORs have a binding on a flow, whatever its transport: a WebSocket flow's are in its socket's
 * attachment (they die with it), a bridged UDP flow's in storage ({@link UdpFlowAors}).
 */
export class FlowAors {
  constructor(private readonly attachments: AttachmentCache, readonly udp: UdpFlowAors) {}

  /** Whether `aor` has a binding on the flow `att` belongs to. */
  has(att: FlowAttachment, aor: string): boolean {
    return isBridged(att.flow.transport) ? this.udp.has(aor) : att.aors.includes(aor);
  }

  /** Record whether `aor` has a binding here. Reads the latest attachment: REGISTERs run concurrently. */
  track(ws: WebSocket, aor: string, bound: boolean): void {
    const att = this.attachments.get(ws)!;
    if (this.has(att, aor) === bound) return;
    if (isBridged(att.flow.transport)) {
      this.udp.set(aor, bound);
      return;
    }
    this.attachments.set(ws, { ...att, aors: bound ? [...att.aors, aor] : att.aors.filter((a) => a !== aor) });
  }

  /**
   * The AORs bound on the flow of `att`, which are then forgotten: its connection ended (a WebSocket, or a
   * bridged TCP connection, whose device comes back on another connection or the same address anew).
   */
  unbindAll(att: FlowAttachment): string[] {
    if (!isBridged(att.flow.transport)) return att.aors;
    const all = [...this.udp.load()];
    for (const aor of all) this.udp.set(aor, false);
    return all;
  }

  /** The GB devices (AORs in `realm`) bound on this bridged flow. */
  devices(realm: string | undefined): string[] {
    return realm ? [...this.udp.load()].filter((aor) => aor.endsWith(`@${realm}`)) : [];
  }
}
