/**
 * The registrar's REGISTER processing, RFC 3261 §10.3 steps 6–8, with
 * RFC 5626 instance/reg-id replacement. Pure: the caller loads bindings,
 * passes the clock, and persists what comes back.
 * @module
 */
import { fail, ok, type Result } from '../sip/message.js';
import { parseContactList, type NameAddr } from '../sip/name-addr.js';
import { formatParams, unquote } from '../sip/params.js';
import { formatUri, uriEquals, parseUri } from '../sip/uri.js';
import { SipError } from '../sip/errors.js';
import { isLive, type Binding } from './bindings.js';
import type { FlowAddress } from '../transport/flow.js';

/** Interval policy of the registrar. */
export interface RegistrarPolicy {
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  /** Most bindings one AOR may hold; the least recently refreshed one makes room. */
  maxBindings: number;
}

/** What the registrar needs from a REGISTER (already authenticated). */
export interface RegisterRequest {
  /** Contact header entries, list-split. Empty for a query (RFC 3261 §10.2.3). */
  contacts: string[];
  /** Raw Expires header value, or null. */
  expires: string | null;
  callId: string;
  cseq: number;
  flowId: string;
  /** How the service is addressed from the REGISTER's flow. */
  address: FlowAddress;
  source: string;
  path: string[];
  userAgent: string | null;
}

/** The AOR's bindings after a REGISTER. */
export interface RegisterOutcome {
  bindings: Binding[];
  /** Whether anything other than a refresh of timers changed. */
  changed: boolean;
}

const MAX_DELTA = 4294967295;

/** Whether `text` is 1 to 10 ASCII digits (what `/^\d{1,10}$/` matches), read without a regular expression. */
function isDelta(text: string): boolean {
  if (text.length === 0 || text.length > 10) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function parseDelta(text: string, what: string): Result<number, SipError> {
  if (!isDelta(text)) return fail(new SipError(400, `Invalid ${what}`));
  const n = Number(text);
  return n > MAX_DELTA ? fail(new SipError(400, `Invalid ${what}`)) : ok(n);
}

function bindingKey(c: NameAddr, uriText: string): { key: string; instanceId: string | null; regId: number | null } {
  const inst = c.params.get('+sip.instance');
  const reg = c.params.get('reg-id');
  const instanceId = inst ? unquote(inst) : null;
  const regId = reg && /^\d{1,10}$/.test(reg) ? Number(reg) : null;
  // RFC 5626 §6: a REGISTER with the same instance and reg-id replaces the flow's binding.
  if (instanceId !== null && regId !== null) return { key: `instance:${instanceId} reg-id:${regId}`, instanceId, regId };
  return { key: `uri:${uriText}`, instanceId, regId };
}

/** Contact value as stored: `<uri>` plus header params other than `expires` (returned separately). */
function storedContact(c: NameAddr): string {
  const params = new Map(c.params);
  params.delete('expires');
  const name = c.displayName ? `${c.displayName} ` : '';
  return `${name}<${formatUri(c.uri)}>${formatParams(params)}`;
}

/** What a binding takes from a Contact entry, whatever the request's timers. */
interface ContactFacts {
  uriText: string;
  key: string;
  instanceId: string | null;
  regId: number | null;
  contact: string;
}

/**
 * Facts by Contact entry: parsed entries are shared between the refreshes that repeat the same text
 * (`sip/memo.ts`), so a refresh formats its contact once, not on each REGISTER.
 */
const facts = new WeakMap<NameAddr, ContactFacts>();

function factsOf(c: NameAddr): ContactFacts {
  let f = facts.get(c);
  if (f === undefined) {
    const uriText = formatUri(c.uri);
    f = { uriText, ...bindingKey(c, uriText), contact: storedContact(c) };
    facts.set(c, f);
  }
  return f;
}

function sameBinding(b: Binding, key: string, uriText: string): boolean {
  if (b.key === key) return true;
  if (!key.startsWith('uri:') || !b.key.startsWith('uri:')) return false;
  const x = parseUri(b.uri);
  const y = parseUri(uriText);
  return x.ok && y.ok && uriEquals(x.value, y.value);
}

/**
 * RFC 3261 §10.3 step 7: a binding with the same Call-ID is only updated by a
 * higher CSeq; otherwise the whole update is aborted.
 */
function outOfOrder(b: Binding, req: RegisterRequest): boolean {
  return b.callId === req.callId && req.cseq <= b.cseq;
}

/**
 * Apply a REGISTER to an AOR's bindings. Expired bindings are dropped on the
 * way. Errors are the responses RFC 3261 §10.3 asks for (400, 423, 500).
 */
export function applyRegister(
  current: readonly Binding[],
  req: RegisterRequest,
  policy: RegistrarPolicy,
  now: number,
): Result<RegisterOutcome, SipError> {
  // Loops, not closures: a leased refresh runs this on every REGISTER.
  let bindings: Binding[] = [];
  for (const b of current) if (isLive(b, now)) bindings.push(b);
  let changed = bindings.length !== current.length;
  if (req.contacts.length === 0) return ok({ bindings, changed });

  let headerExpires: number | null = null;
  if (req.expires !== null) {
    const e = parseDelta(req.expires.trim(), 'Expires');
    if (!e.ok) return e;
    headerExpires = e.value;
  }
  const list = parseContactList(req.contacts);
  if (!list.ok) return fail(new SipError(400, `Invalid Contact: ${list.error}`));

  if (list.value === '*') {
    // RFC 3261 §10.3 step 6: "*" only with Expires: 0 and no other Contact.
    if (headerExpires !== 0) return fail(new SipError(400, 'Wildcard Contact requires Expires: 0'));
    if (bindings.some((b) => outOfOrder(b, req))) return fail(new SipError(500, 'Out of Order Request'));
    return ok({ bindings: [], changed: changed || bindings.length > 0 });
  }

  for (const c of list.value) {
    if (c.uri.scheme !== 'sip' && c.uri.scheme !== 'sips') {
      return fail(new SipError(400, `Unsupported Contact URI scheme ${c.uri.scheme}`));
    }
    const param = c.params.get('expires');
    let expires = headerExpires ?? policy.defaultExpires;
    if (param !== undefined && param !== null) {
      const e = parseDelta(param, 'Contact expires');
      if (!e.ok) return e;
      expires = e.value;
    }
    if (expires !== 0 && expires < policy.minExpires) {
      return fail(new SipError(423, 'Interval Too Brief', [['Min-Expires', String(policy.minExpires)]]));
    }
    expires = Math.min(expires, policy.maxExpires);
    const { uriText, key, instanceId, regId, contact } = factsOf(c);
    let at = -1;
    for (let i = 0; i < bindings.length; i++) if (sameBinding(bindings[i]!, key, uriText)) { at = i; break; }
    const existing = at < 0 ? undefined : bindings[at]!;
    if (existing && outOfOrder(existing, req)) return fail(new SipError(500, 'Out of Order Request'));
    if (at >= 0) bindings.splice(at, 1);
    if (expires === 0) {
      changed ||= existing !== undefined;
      continue;
    }
    const qText = c.params.get('q');
    const q = qText ? Number(qText) : null;
    if (q !== null && !(q >= 0 && q <= 1)) return fail(new SipError(400, 'Invalid Contact q'));
    const binding: Binding = {
      key, contact, uri: uriText, q, expiresAt: now + expires * 1000,
      callId: req.callId, cseq: req.cseq, instanceId, regId, flowId: req.flowId, address: req.address, source: req.source,
      path: req.path, userAgent: req.userAgent, updatedAt: now,
    };
    changed ||= !existing || existing.flowId !== binding.flowId || existing.contact !== binding.contact;
    bindings.push(binding);
  }
  if (bindings.length > policy.maxBindings) {
    bindings.sort((a, b) => b.updatedAt - a.updatedAt);
    bindings = bindings.slice(0, policy.maxBindings);
    changed = true;
  }
  return ok({ bindings, changed });
}

/** Bindings left when a flow closes: every binding learnt on it dies with it (RFC 5626 §4.2.3). */
export function dropFlow(bindings: readonly Binding[], flowId: string): Binding[] {
  return bindings.filter((b) => b.flowId !== flowId);
}

/**
 * Bindings left when the live binding whose stored contact is `contact` (or, when none is, those whose Contact URI
 * equals it as RFC 3261 §19.1.4 compares URIs) is removed, as `Contact: <uri>;expires=0` removes it (§10.3 step
 * 6); null when no live binding matches.
 */
export function dropContact(bindings: readonly Binding[], contact: string, now: number): Binding[] | null {
  const live = bindings.filter((b) => isLive(b, now));
  const wanted = parseUri(/^<([^>]*)>/.exec(contact)?.[1] ?? contact);
  const sameUri = (b: Binding): boolean => {
    const u = parseUri(b.uri);
    return wanted.ok && u.ok && uriEquals(u.value, wanted.value);
  };
  const exact = live.filter((b) => b.contact === contact);
  const gone = new Set(exact.length > 0 ? exact : live.filter(sameUri));
  return gone.size === 0 ? null : bindings.filter((b) => !gone.has(b));
}
