/**
 * Requests the platform itself sends to a registered AOR (a MESSAGE from the
 * HTTP API, later GB28181 queries): the AOR's object acts as the UAC, forks
 * the request to every live binding and waits, bounded, for the final answer.
 * @module
 */
import type { Env } from '../env.js';
import { SipHeaders, type SipRequest, type SipResponse } from '../sip/message.js';
import { parseBranch, makeBranch } from '../proxy/branch.js';
import type { FlowAddress } from '../transport/flow.js';
import { viaValue } from '../proxy/requests.js';
import { ForkingTransaction } from '../proxy/forking-transaction.js';
import type { Binding } from '../registrar/bindings.js';
import { deliverTo, randomHex } from './stubs.js';

/** A request for the platform to send. */
export interface PlatformRequest {
  method: string;
  /** To and Request-URI base: the AOR. */
  aor: string;
  /** From URI; a tag is added. */
  from: string;
  /** To URI when it is not the AOR (a channel of a GB device). */
  to?: string;
  headers?: Array<[string, string]>;
  contentType?: string;
  body?: Uint8Array | string;
  /** Longest wait for a final response. */
  timeoutMs: number;
}

/** The final outcome of a platform request. */
export interface PlatformResult {
  status: number;
  reason: string;
  /** Body of the final response, when it had one (text). */
  body?: string;
  /** For a 2xx to INVITE: what the platform needs for ACK and BYE (RFC 3261 §12.1.2). */
  dialog?: PlatformDialog;
}

/** A dialog the platform created as UAC. */
export interface PlatformDialog {
  callId: string;
  /** From value we sent (with our tag) and To value received (with the remote tag). */
  from: string;
  to: string;
  /** The remote target (Contact of the 2xx); requests are delivered over `flowId` anyway. */
  remoteTarget: string;
  /** Route set from the 2xx's Record-Route, reversed (RFC 3261 §12.1.2). */
  routes: string[];
  flowId: string;
  address: FlowAddress;
  cseq: number;
}

/** Build the request one branch gets (`extra`: headers every platform request to this AOR carries). */
function buildRequest(p: PlatformRequest, b: Binding, branch: string, callId: string, fromTag: string, address: FlowAddress, extra: Array<[string, string]>): SipRequest {
  const h = new SipHeaders();
  h.append('Via', viaValue(address, branch));
  h.append('Max-Forwards', '70');
  h.append('From', `<${p.from}>;tag=${fromTag}`);
  h.append('To', `<${p.to ?? p.aor}>`);
  h.append('Call-ID', callId);
  h.append('CSeq', `1 ${p.method}`);
  for (const [k, v] of [...extra, ...(p.headers ?? [])]) h.append(k, v);
  if (p.contentType) h.append('Content-Type', p.contentType);
  const body = typeof p.body === 'string' ? new TextEncoder().encode(p.body) : (p.body ?? new Uint8Array(0));
  return { type: 'request', method: p.method, uri: b.uri, version: 'SIP/2.0', headers: h, body };
}

/** A final response made up locally (timeouts, gone flows). */
function localResponse(status: number, reason?: string): SipResponse {
  return { type: 'response', status, reason: reason ?? '', version: 'SIP/2.0', headers: new SipHeaders(), body: new Uint8Array(0) };
}

/** Dialog state from a 2xx to our INVITE (RFC 3261 §12.1.2). */
function dialogFrom(res: SipResponse, invite: SipRequest, flowId: string, address: FlowAddress): PlatformDialog {
  const contact = res.headers.values('contact')[0] ?? '';
  const target = /<([^>]+)>/.exec(contact)?.[1] ?? contact.split(';')[0] ?? invite.uri;
  return {
    callId: invite.headers.get('call-id') ?? '',
    from: invite.headers.get('from') ?? '',
    to: res.headers.get('to') ?? '',
    remoteTarget: target || invite.uri,
    routes: res.headers.values('record-route').reverse(),
    flowId,
    address,
    cseq: Number.parseInt(invite.headers.get('cseq') ?? '1', 10) || 1,
  };
}

/** Client transactions of one AOR object. */
export class PlatformRequests {
  private readonly txs = new Map<string, ForkingTransaction>();

  /** @param extra headers every request carries, read per request (`X-GB-Ver: 3.0` to a 2022 device). */
  constructor(private readonly env: Env, private readonly objectId: string, private readonly extra: () => Array<[string, string]> = () => []) {}

  /** Send to every binding and resolve with the final answer (408 after the timeout). */
  send(p: PlatformRequest, bindings: readonly Binding[]): Promise<PlatformResult> {
    if (bindings.length === 0) return Promise.resolve({ status: 480, reason: 'Temporarily Unavailable' });
    const key = randomHex(8);
    const callId = `${randomHex(12)}@edge-sip`;
    const fromTag = randomHex(6);
    const branches = bindings.map((b, i) => {
      const id = makeBranch({ origin: 'aor', objectId: this.objectId, loop: '00000000', tx: `${key}z${i}` });
      return { id, flowId: b.flowId, address: b.address, request: buildRequest(p, b, id, callId, fromTag, b.address, this.extra()) };
    });
    return this.run(key, p.method, p.timeoutMs, branches);
  }

  /**
   * Send a request inside a dialog the platform created (BYE, INFO …) and
   * wait for its final answer; ACK is sent without a transaction.
   */
  sendInDialog(d: PlatformDialog, method: string, timeoutMs: number, body?: { contentType: string; body: string }): Promise<PlatformResult> {
    const key = randomHex(8);
    const id = makeBranch({ origin: 'aor', objectId: this.objectId, loop: '00000000', tx: `${key}z0` });
    const h = new SipHeaders();
    h.append('Via', viaValue(d.address, id));
    h.append('Max-Forwards', '70');
    for (const r of d.routes) h.append('Route', r);
    h.append('From', d.from);
    h.append('To', d.to);
    h.append('Call-ID', d.callId);
    h.append('CSeq', `${method === 'ACK' ? d.cseq : ++d.cseq} ${method}`);
    for (const [k, v] of this.extra()) h.append(k, v);
    if (body) h.append('Content-Type', body.contentType);
    const req: SipRequest = {
      type: 'request', method, uri: d.remoteTarget, version: 'SIP/2.0', headers: h,
      body: body ? new TextEncoder().encode(body.body) : new Uint8Array(0),
    };
    if (method === 'ACK') {
      return deliverTo(this.env, d.flowId, req).then((ok) => (ok ? { status: 200, reason: 'OK' } : { status: 480, reason: 'Temporarily Unavailable' }));
    }
    return this.run(key, method, timeoutMs, [{ id, flowId: d.flowId, address: d.address, request: req }]);
  }

  private run(key: string, method: string, timeoutMs: number, branches: Array<{ id: string; flowId: string; address: FlowAddress; request: SipRequest }>): Promise<PlatformResult> {
    return new Promise<PlatformResult>((resolve) => {
      let settled = false;
      const tx = new ForkingTransaction(method, {
        deliver: (flowId, msg) => deliverTo(this.env, flowId, msg),
        respond: (res) => {
          if (settled || res.status < 200) return;
          settled = true;
          const out: PlatformResult = { status: res.status, reason: res.reason };
          if (res.body.byteLength) out.body = new TextDecoder().decode(res.body);
          if (method === 'INVITE' && res.status < 300) {
            const branch = [...tx.branches.values()].find((b) => b.final === res);
            const sent = branches.find((b) => b.id === branch?.id);
            if (branch && sent) out.dialog = dialogFrom(res, branch.request, branch.flowId, sent.address);
          }
          resolve(out);
        },
        localResponse: localResponse,
        setTimer: (ms, fn) => setTimeout(fn, ms),
        clearTimer: (h) => clearTimeout(h as number),
        done: () => this.txs.delete(key),
      }, timeoutMs);
      this.txs.set(key, tx);
      void tx.start(branches);
    });
  }

  /** A response to one of our branches. */
  onResponse(branch: string, res: SipResponse): void {
    const key = parseBranch(branch)?.tx.split('z')[0];
    if (key) this.txs.get(key)?.onResponse(branch, res);
  }
}
