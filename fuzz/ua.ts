/**
 * How a fuzzing flow behaves as a user agent towards what the proxy routes to it: it answers MESSAGE, BYE and
 * the like with 200; an INVITE rings (180), then is refused at once (486), accepted (200 with Contact and the
 * Record-Route copied, RFC 3261 §12.1.1), or refused later, so that a CANCEL can catch it (200, then 487).
 * Accepted INVITEs become dialogs the caller's later in-dialog requests (ACK, BYE, INFO …) follow, through the
 * proxy's Record-Route.
 * @module
 */
import type { SipRequest, SipResponse } from '../src/sip/message.js';
import { createResponse } from '../src/sip/response.js';
import { serialize } from '../src/sip/serialize.js';
import type { Rng } from './prng.js';
import type { Dialog, Identity } from './seeds.js';

const bytesOf = (res: SipResponse) => {
  const u = serialize(res);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
};
const branchOfVia = (via: string | undefined) => /;\s*branch\s*=\s*([^;,\s]+)/i.exec(via ?? '')?.[1] ?? '';

/** The callee side of a flow: answers, and INVITEs waiting for a late refusal. */
export class Callee {
  private readonly ringing = new Map<string, { req: SipRequest; timer: NodeJS.Timeout }>();

  constructor(private readonly id: Identity, private readonly send: (b: Buffer) => void) {}

  /** Answer a routed request (nothing for an ACK). */
  onRequest(req: SipRequest, r: Rng): Buffer[] {
    if (req.method === 'ACK') return [];
    if (req.method === 'CANCEL') {
      const key = branchOfVia(req.headers.get('via'));
      const pending = this.ringing.get(key);
      const out = [bytesOf(createResponse(req, pending ? 200 : 481))];
      if (pending) {
        clearTimeout(pending.timer);
        this.ringing.delete(key);
        out.push(bytesOf(createResponse(pending.req, 487)));
      }
      return out;
    }
    if (req.method !== 'INVITE') return [bytesOf(createResponse(req, 200))];
    const ring = bytesOf(createResponse(req, 180));
    const k = r.next();
    if (k < 0.45) return [ring, bytesOf(createResponse(req, 486))];
    if (k < 0.75) {
      const rr = req.headers.values('record-route').map((v): [string, string] => ['Record-Route', v]);
      return [ring, bytesOf(createResponse(req, 200, { headers: [...rr, ['Contact', `<sip:${this.id.user}@${this.id.sentBy}>`]] }))];
    }
    const key = branchOfVia(req.headers.get('via'));
    if (this.ringing.size < 64) {
      const timer = setTimeout(() => {
        this.ringing.delete(key);
        this.send(bytesOf(createResponse(req, 486)));
      }, 500 + r.int(2000));
      this.ringing.set(key, { req, timer });
    }
    return [ring];
  }

  /** Refuse what is still ringing (the end of a phase). */
  stop(): void {
    for (const { req, timer } of this.ringing.values()) {
      clearTimeout(timer);
      this.send(bytesOf(createResponse(req, 486)));
    }
    this.ringing.clear();
  }
}

/** The dialog a 2xx to an INVITE set up (RFC 3261 §12.1.2: route set = Record-Route reversed, target = Contact). */
export function dialogFrom(res: SipResponse): Dialog | null {
  if (res.status < 200 || res.status >= 300 || !/\bINVITE\s*$/i.test(res.headers.get('cseq') ?? '')) return null;
  const contact = /<([^>]+)>/.exec(res.headers.get('contact') ?? '')?.[1];
  const [from, to, callId] = [res.headers.get('from'), res.headers.get('to'), res.headers.get('call-id')];
  if (!contact || !from || !to || !callId) return null;
  const cseq = Number(/^\s*(\d+)/.exec(res.headers.get('cseq') ?? '')?.[1] ?? 1);
  return { target: contact, routes: res.headers.values('record-route').reverse(), from, to, callId, cseq };
}
