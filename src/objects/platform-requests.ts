/**
 * Requests the platform itself sends to a registered AOR (a MESSAGE from the
 * HTTP API, later GB28181 queries): the AOR's object acts as the UAC, forks
 * the request to every live binding and waits, bounded, for the final answer.
 * @module
 */
import type { Env } from '../env.js';
import { SipHeaders, type SipRequest, type SipResponse } from '../sip/message.js';
import { parseBranch, makeBranch } from '../proxy/branch.js';
import type { FlowAddress } from '../proxy/record-route.js';
import { viaValue } from '../proxy/requests.js';
import { ProxyTransaction } from '../proxy/transaction.js';
import { encodeFrame } from '../transport/ws-frames.js';
import type { Binding } from '../registrar/bindings.js';
import { flowStub } from './stubs.js';

/** A request for the platform to send. */
export interface PlatformRequest {
  method: string;
  /** To and Request-URI base: the AOR. */
  aor: string;
  /** From URI; a tag is added. */
  from: string;
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
}

function randomHex(bytes: number): string {
  let s = '';
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Build the request one branch gets. */
function buildRequest(p: PlatformRequest, b: Binding, branch: string, callId: string, fromTag: string, address: FlowAddress): SipRequest {
  const h = new SipHeaders();
  h.append('Via', viaValue(address, branch));
  h.append('Max-Forwards', '70');
  h.append('From', `<${p.from}>;tag=${fromTag}`);
  h.append('To', `<${p.aor}>`);
  h.append('Call-ID', callId);
  h.append('CSeq', `1 ${p.method}`);
  for (const [k, v] of p.headers ?? []) h.append(k, v);
  if (p.contentType) h.append('Content-Type', p.contentType);
  const body = typeof p.body === 'string' ? new TextEncoder().encode(p.body) : (p.body ?? new Uint8Array(0));
  return { type: 'request', method: p.method, uri: b.uri, version: 'SIP/2.0', headers: h, body };
}

/** Client transactions of one AOR object. */
export class PlatformRequests {
  private readonly txs = new Map<string, ProxyTransaction>();

  constructor(private readonly env: Env, private readonly objectId: string) {}

  /** Send to every binding and resolve with the final answer (408 after the timeout). */
  send(p: PlatformRequest, bindings: readonly Binding[]): Promise<PlatformResult> {
    if (bindings.length === 0) return Promise.resolve({ status: 480, reason: 'Temporarily Unavailable' });
    const key = randomHex(8);
    const callId = `${randomHex(12)}@edge-sip`;
    const fromTag = randomHex(6);
    return new Promise<PlatformResult>((resolve) => {
      let settled = false;
      const local = (status: number, reason?: string): SipResponse => ({
        type: 'response', status, reason: reason ?? '', version: 'SIP/2.0', headers: new SipHeaders(), body: new Uint8Array(0),
      });
      const tx = new ProxyTransaction(p.method, {
        deliver: async (flowId, msg) => {
          try {
            return await flowStub(this.env, flowId).deliver(encodeFrame(msg));
          } catch {
            return false;
          }
        },
        respond: (res) => {
          if (settled || res.status < 200) return;
          settled = true;
          resolve({ status: res.status, reason: res.reason, ...(res.body.byteLength ? { body: new TextDecoder().decode(res.body) } : {}) });
        },
        localResponse: local,
        setTimer: (ms, fn) => setTimeout(fn, ms),
        clearTimer: (h) => clearTimeout(h as number),
        done: () => this.txs.delete(key),
      }, p.timeoutMs);
      this.txs.set(key, tx);
      const branches = bindings.map((b, i) => {
        const id = makeBranch({ origin: 'aor', objectId: this.objectId, loop: '00000000', tx: `${key}z${i}` });
        return { id, flowId: b.flowId, request: buildRequest(p, b, id, callId, fromTag, b.address) };
      });
      void tx.start(branches);
    });
  }

  /** A response to one of our branches. */
  onResponse(branch: string, res: SipResponse): void {
    const key = parseBranch(branch)?.tx.split('z')[0];
    if (key) this.txs.get(key)?.onResponse(branch, res);
  }
}
