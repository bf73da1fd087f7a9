/**
 * The proxy behaviour of one flow (RFC 3261 §16): requests its peer sends to
 * other users are authenticated, looked up in the target AOR's object and
 * forked to every binding's flow; in-dialog requests follow our Record-Route;
 * responses come back through the transaction this flow holds.
 * @module
 */
import type { Env } from '../env.js';
import type { Config } from '../config.js';
import { challengeValues, precheckCredentials } from '../auth/authenticate.js';
import type { NonceCounts } from '../auth/nonce-counts.js';
import { SipError } from '../sip/errors.js';
import { createsDialog } from '../sip/methods.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { parseNameAddr } from '../sip/name-addr.js';
import { createResponse } from '../sip/response.js';
import { addressOfRecord, unescapeUserPart, type SipUri } from '../sip/uri.js';
import { validateResponse, type RequestEssentials } from '../sip/validate.js';
import { makeBranch, parseBranch } from '../proxy/branch.js';
import { checkProxyRequest } from '../proxy/request-checks.js';
import { inDialogOf, ourRoute, recordRoutes, type DialogFlows } from '../proxy/record-route.js';
import { forwardCopy } from '../proxy/requests.js';
import { ForkingTransaction } from '../proxy/forking-transaction.js';
import type { Flow, FlowAddress } from '../transport/flow.js';
import { flowAddress } from '../transport/flow.js';
import { aorStub, aorStubById, deliverTo, flowStub, randomHex } from './stubs.js';
import { flowNonce, guarded, type SourceGuard } from './flow-register.js';
import { encodeFrame } from '../transport/ws-frames.js';

/** What the router needs from the flow object hosting it. */
export interface FlowHost {
  env: Env;
  config: Config;
  flow: Flow;
  /** Whether the AOR has a binding on this flow. */
  hasAor(aor: string): boolean;
  /** Send a message to this flow's peer. */
  sendToPeer(msg: SipRequest | SipResponse): void;
  /** Outcome of presented credentials (for the connection's failed-authentication bound). */
  authResult(ok: boolean): void;
  /** The failed-authentication guard of the peer's address. */
  guard: SourceGuard;
  /** The flow's nonce-count replay window. */
  nonces: NonceCounts;
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** Transactions of requests this flow's peer sent, and the routing of its requests. */
export class FlowRouter {
  private readonly txs = new Map<string, ForkingTransaction>();
  /** Client's top Via branch → our transaction key (CANCEL and non-2xx ACK matching, RFC 3261 §9.2). */
  private readonly byClientBranch = new Map<string, string>();

  /** True when the URI names a user (or the service) in a domain served here. */
  isLocal(uri: SipUri, host: FlowHost): boolean {
    if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return false;
    // UDP devices often address the service by the bridge's IP address.
    return uri.host === host.config.domain || uri.host === host.config.realm || isIpLiteral(uri.host);
  }

  /** Route a request that is not for the service itself. Returns an immediate response, if any. */
  async route(req: SipRequest, ess: RequestEssentials, host: FlowHost): Promise<SipResponse | null> {
    if (req.method === 'CANCEL') return this.cancel(req, ess);
    const routes = req.headers.values('route');
    const dialog = routes.length > 0 ? this.ourDialog(routes, host, ess.callId) : null;
    if (dialog) return this.inDialog(req, ess, host, dialog);
    if (req.method === 'ACK') return null; // ACK for a non-2xx final: hop by hop, absorbed (RFC 3261 §17.2.1)
    if (ess.to.params.has('tag')) throw new SipError(481, 'Call/Transaction Does Not Exist (no route through this proxy)');
    return this.outOfDialog(req, ess, host);
  }

  /**
   * A response from this flow's peer to a request forwarded to it: our Via names the object holding the
   * transaction (RFC 3261 §16.7 step 3: remove our Via, then hand the response to that transaction).
   * Returns why it was dropped, or null.
   */
  async relay(res: SipResponse, host: Pick<FlowHost, 'env' | 'flow'>): Promise<string | null> {
    const checked = validateResponse(res);
    const branch = checked.ok ? checked.value.vias[0]?.params.get('branch') : null;
    const info = parseBranch(branch);
    // A proxied request's response still carries the caller's Via under ours; the platform's own requests have only ours.
    if (!checked.ok || !info || (info.origin === 'flow' && checked.value.vias.length < 2)) return checked.ok ? 'response not for us' : checked.error;
    res.headers.shift('via');
    try {
      if (info.origin === 'flow' && info.objectId === host.flow.id) this.onBranchResponse(branch!, res);
      else if (info.origin === 'flow') await flowStub(host.env, info.objectId).onBranchResponse(branch!, encodeFrame(res));
      else await aorStubById(host.env, info.objectId).onBranchResponse(branch!, encodeFrame(res));
      return null;
    } catch (err) {
      return `response could not be relayed: ${String(err)}`;
    }
  }

  /** A response to one of our branches arrived (possibly through another flow). */
  onBranchResponse(branchId: string, res: SipResponse): void {
    const info = parseBranch(branchId);
    const key = info?.tx.split('z')[0];
    if (key) this.txs.get(key)?.onResponse(branchId, res);
  }

  private ourDialog(routes: string[], host: FlowHost, callId: string) {
    const first = parseNameAddr(routes[0]!);
    if (!first.ok) return null;
    const d = ourRoute(host.config.routeSecret, first.value.uri, callId);
    if (!d) return null;
    const second = routes[1] ? parseNameAddr(routes[1]) : null;
    const towards = second?.ok && ourRoute(host.config.routeSecret, second.value.uri, callId) ? second.value.uri : null;
    return { ...d, towards, pop: towards ? 2 : 1 };
  }

  private async outOfDialog(req: SipRequest, ess: RequestEssentials, host: FlowHost): Promise<SipResponse | null> {
    const uri = ess.requestUri;
    const loop = checkProxyRequest(req, ess);
    if (!this.isLocal(uri, host)) throw new SipError(404, `Not Found (domain ${uri.host} is not served here)`);
    if (uri.user === null) throw new SipError(404, 'Not Found (no user in the Request-URI)');
    const denied = await this.authorizeCaller(req, ess, host);
    if (denied) return denied;
    const target = `sip:${unescapeUserPart(uri.user)}@${host.config.domain}`;
    const found = await aorStub(host.env, target).lookup();
    if (!found.exists) throw new SipError(404, 'Not Found');
    if (found.targets.length === 0) throw new SipError(480, 'Temporarily Unavailable');
    const key = randomHex(8);
    const me = flowAddress(host.flow, host.config.domain);
    const ftag = ess.from.params.get('tag') ?? '';
    const branches = found.targets.map((t, i) => {
      const id = makeBranch({ origin: 'flow', objectId: host.flow.id, loop, tx: `${key}z${i}` });
      const recordRoute = createsDialog(req.method)
        ? recordRoutes(host.config.routeSecret, { a: host.flow.id, b: t.flowId, ftag, callId: ess.callId }, t.address as FlowAddress, me)
        : undefined;
      return { id, flowId: t.flowId, request: forwardCopy(req, ess.maxForwards, { uri: t.uri, via: { address: t.address as FlowAddress, branch: id }, ...(recordRoute ? { recordRoute } : {}) }) };
    });
    if (req.method === 'INVITE') host.sendToPeer(createResponse(req, 100, { reason: 'Trying' }));
    await this.start(key, req, ess, host, branches, target);
    return null;
  }

  private async inDialog(req: SipRequest, ess: RequestEssentials, host: FlowHost, d: DialogFlows & { towards: SipUri | null; pop: number }): Promise<SipResponse | null> {
    const loop = checkProxyRequest(req, ess);
    // A route serves its own dialog only: signed over the Call-ID, and one of the tags must be the caller's.
    if (!inDialogOf(d, ess.from.params.get('tag'), ess.to.params.get('tag'))) throw new SipError(403, 'Forbidden (the route belongs to another dialog)');
    // The original caller's requests carry its From tag; the callee's carry the other one.
    const target = ess.from.params.get('tag') === d.ftag ? d.b : d.a;
    const address: FlowAddress = d.towards
      ? { transport: (d.towards.params.get('transport')?.toUpperCase() as FlowAddress['transport'] | undefined) ?? 'UDP', host: d.towards.port ? `${d.towards.host}:${d.towards.port}` : d.towards.host }
      : flowAddress(host.flow, host.config.domain);
    const key = randomHex(8);
    const id = makeBranch({ origin: 'flow', objectId: host.flow.id, loop, tx: `${key}z0` });
    const copy = forwardCopy(req, ess.maxForwards, { uri: null, via: { address, branch: id }, popRoutes: d.pop });
    if (req.method === 'ACK') {
      await this.deliver(host, target, copy); // ACK for 2xx: end to end, no transaction
      return null;
    }
    await this.start(key, req, ess, host, [{ id, flowId: target, request: copy }]);
    return null;
  }

  /** Start a transaction; `forAor` (the target of an out-of-dialog request) lets each flow check its lease. */
  private async start(key: string, req: SipRequest, ess: RequestEssentials, host: FlowHost, branches: Array<{ id: string; flowId: string; request: SipRequest }>, forAor?: string): Promise<void> {
    const clientBranch = ess.vias[0]?.params.get('branch') ?? '';
    const tx = new ForkingTransaction(req.method, {
      deliver: (flowId, msg) => this.deliver(host, flowId, msg, forAor),
      respond: (res) => host.sendToPeer(res),
      localResponse: (status, reason) => createResponse(req, status, reason ? { reason } : {}),
      // RFC 5626 §5.3: a request on a route whose flow no longer exists gets 430 (Flow Failed).
      ...(forAor ? {} : { flowGone: () => createResponse(req, 430, { reason: 'Flow Failed' }) }),
      setTimer: (ms, fn) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as number),
      done: () => {
        this.txs.delete(key);
        if (this.byClientBranch.get(`${clientBranch} ${req.method}`) === key) this.byClientBranch.delete(`${clientBranch} ${req.method}`);
      },
    });
    this.txs.set(key, tx);
    this.byClientBranch.set(`${clientBranch} ${req.method}`, key);
    await tx.start(branches);
  }

  /** CANCEL (RFC 3261 §16.10): 200 to the CANCEL, and the matching INVITE's branches are cancelled. */
  private cancel(req: SipRequest, ess: RequestEssentials): SipResponse {
    const key = this.byClientBranch.get(`${ess.vias[0]?.params.get('branch') ?? ''} INVITE`);
    const tx = key ? this.txs.get(key) : undefined;
    if (!tx) throw new SipError(481, 'Call/Transaction Does Not Exist');
    tx.cancel();
    return createResponse(req, 200);
  }

  private async deliver(host: FlowHost, flowId: string, msg: SipRequest, forAor?: string): Promise<boolean> {
    if (flowId === host.flow.id) {
      host.sendToPeer(msg);
      return true;
    }
    return deliverTo(host.env, flowId, msg, forAor);
  }

  /**
   * Out-of-dialog requests are only relayed for a caller registered on this
   * connection, or one that proves who it is with Proxy-Authorization (407).
   * A caller may only send as itself.
   */
  private async authorizeCaller(req: SipRequest, ess: RequestEssentials, host: FlowHost): Promise<SipResponse | null> {
    const caller = addressOfRecord({ ...ess.from.uri, host: ess.from.uri.host === host.config.realm || isIpLiteral(ess.from.uri.host) ? host.config.domain : ess.from.uri.host });
    if (host.hasAor(caller)) return null;
    const now = Date.now();
    const pre = precheckCredentials(req.headers.get('proxy-authorization'), {
      realm: host.config.realm, secret: host.config.nonceSecret, now, nonceTtlMs: host.config.nonceTtlMs, scope: host.flow.id, counts: host.nonces, requestUri: req.uri,
      algorithms: host.config.digestAlgorithms,
    });
    if (pre.kind === 'malformed') throw new SipError(400, `Malformed Proxy-Authorization: ${pre.reason}`);
    const stale = pre.kind === 'challenge' && pre.stale;
    if (pre.kind === 'credentials') {
      if (`sip:${pre.credentials.username}@${host.config.domain}` !== caller) throw new SipError(403, 'Forbidden (credentials do not match From)');
      const authenticate = async (): Promise<unknown> => aorStub(host.env, caller).authenticate({ credentials: pre.credentials, algorithm: pre.algorithm, method: req.method });
      const reply = await guarded(host, caller, now, authenticate, (r) => r === null);
      if (reply === null) return null;
    }
    const nonce = flowNonce(host.config, host.flow, now);
    return createResponse(req, 407, {
      headers: challengeValues(host.config.realm, nonce, stale, host.config.digestAlgorithms).map((v): [string, string] => ['Proxy-Authenticate', v]),
    });
  }
}
