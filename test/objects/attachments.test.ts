/**
 * What a flow's socket attachment keeps for a hibernation, on real workerd WebSockets: a wake is a new
 * `AttachmentCache` reading what the runtime holds. Every refresh the flow answers alone is kept at once, so a
 * wake reads the refreshed expiry. (Writing refreshes seconds apart behind, as the AOR does with its rows, was
 * measured and left out: it only helps a closed-loop benchmark, docs/benchmarks.md "After the CPU round".)
 */
import { describe, expect, it } from 'vitest';
import { AttachmentCache, type FlowAttachment } from '../../src/objects/attachments.js';
import { FlowLeases } from '../../src/objects/flow-leases.js';
import { refreshLocally, type Lease } from '../../src/registrar/lease.js';
import { applyRegister, type RegisterRequest } from '../../src/registrar/register.js';

const policy = { minExpires: 60, maxExpires: 7200, defaultExpires: 3600, maxBindings: 16 };
const T0 = 1_700_000_000_000;
const AOR = 'sip:ann@edge-sip.test';

const req = (cseq: number, expires = '600'): RegisterRequest => ({
  contacts: ['<sip:a@a.invalid;transport=ws>'], expires, callId: 'call-1', cseq,
  flowId: 'flow-1', address: { transport: 'WS', host: 'edge-sip.test' }, source: '192.0.2.1', path: [], userAgent: 'JsSIP',
});

function granted(): Lease {
  const r = applyRegister([], req(1), policy, T0);
  if (!r.ok) throw r.error;
  const horizon = T0 + 86_400_000;
  return {
    aor: AOR, horizon, bindings: r.value.bindings.map((b) => ({ ...b, heldUntil: horizon })),
    account: { username: 'ann', realm: 'edge-sip.test', algorithm: 'MD5', ha1: '0'.repeat(32) }, others: [], device: null,
  };
}

function refreshed(l: Lease, cseq: number, now: number, expires?: string): Lease {
  const d = refreshLocally(l, req(cseq, expires), policy, now);
  if (d.kind !== 'local') throw new Error(d.kind);
  return d.lease;
}

/** An accepted server socket holding a flow's attachment with `lease`, as written to the runtime. */
function socket(lease: Lease): WebSocket {
  const server = new WebSocketPair()[1];
  server.accept();
  const att: FlowAttachment = {
    flow: { id: 'flow-1', transport: 'WS', remoteIp: '192.0.2.1', remotePort: null, advertise: null, connectedAt: T0 },
    aors: [AOR], leases: { [AOR]: lease }, metrics: null, liveness: null, trace: null,
  };
  const cache = new AttachmentCache();
  cache.set(server, att);
  cache.flush();
  return server;
}

/** The lease's expiry as a wake would read it. */
const keptExpiry = (ws: WebSocket) => new AttachmentCache().get(ws)!.leases[AOR]!.bindings[0]!.expiresAt;

describe('a flow\'s attachment across a hibernation', () => {
  it('keeps a refresh that moves the expiry by minutes at once', () => {
    const ws = socket(granted());
    const cache = new AttachmentCache();
    const leases = new FlowLeases(cache);
    const next = refreshed(leases.get(ws, AOR)!, 2, T0 + 300_000);
    leases.set(ws, AOR, next);
    cache.flush();
    expect(keptExpiry(ws)).toBe(next.bindings[0]!.expiresAt);
    // A longer interval right after: kept at once too.
    const longer = refreshed(next, 3, T0 + 301_000, '3600');
    leases.set(ws, AOR, longer);
    cache.flush();
    expect(keptExpiry(ws)).toBe(longer.bindings[0]!.expiresAt);
  });

  it('keeps a refresh seconds later at once too', () => {
    const ws = socket(refreshed(granted(), 2, T0 + 1000));
    const cache = new AttachmentCache();
    const leases = new FlowLeases(cache);
    const next = refreshed(leases.get(ws, AOR)!, 3, T0 + 2000);
    leases.set(ws, AOR, next);
    cache.flush();
    expect(keptExpiry(ws)).toBe(next.bindings[0]!.expiresAt);
  });
});
