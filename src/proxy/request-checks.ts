/**
 * The checks a request passes before it is handled (RFC 3261 §16.3, "Request Validation"), in one place and in
 * the RFC's order. Every request gets {@link checkExtensions} (steps 2 and 5, and Require where we are the
 * UAS); a request the proxy forwards also gets {@link checkProxyRequest} (steps 3 and 4). Step 1 is
 * `validateRequest` (its `RequestEssentials` are the input here); step 6, Proxy-Authorization, needs the
 * caller's account and lives in `objects/flow-routing.ts`.
 * @module
 */
import { SipError } from '../sip/errors.js';
import type { SipRequest } from '../sip/message.js';
import type { RequestEssentials } from '../sip/validate.js';
import { loopHash, parseBranch } from './branch.js';

/** Extensions this service implements as a registrar (RFC 3327 Path, RFC 5626 Outbound). */
const SUPPORTED = new Set(['path', 'outbound']);

/**
 * Step 2, the Request-URI scheme (416, RFC 3261 §8.2.2.1), and step 5, Proxy-Require (420 with Unsupported);
 * where we are the UAS (REGISTER, OPTIONS to the service) also any Require option we lack (§8.2.2.3).
 */
export function checkExtensions(req: SipRequest, ess: RequestEssentials): void {
  const scheme = ess.requestUri.scheme;
  if (scheme !== 'sip' && scheme !== 'sips') throw new SipError(416, 'Unsupported URI Scheme');
  if (req.method === 'ACK' || req.method === 'CANCEL') return;
  const unsupported = req.headers.values('proxy-require');
  const asUas = req.method === 'REGISTER' || (req.method === 'OPTIONS' && ess.requestUri.user === null);
  if (asUas) for (const o of req.headers.values('require')) if (!SUPPORTED.has(o.toLowerCase())) unsupported.push(o);
  if (unsupported.length > 0) throw new SipError(420, 'Bad Extension', [['Unsupported', unsupported.join(', ')]]);
}

/**
 * Step 3, Max-Forwards (483 at zero), and step 4, loop detection (482 when one of our own Via branches
 * carries this request's loop hash, RFC 3261 §16.3 item 4). Returns the loop hash for the new branch.
 */
export function checkProxyRequest(req: SipRequest, ess: RequestEssentials): string {
  if (ess.maxForwards === 0) throw new SipError(483, 'Too Many Hops');
  const loop = loopHash(req, ess);
  if (ess.vias.some((v) => parseBranch(v.params.get('branch'))?.loop === loop)) throw new SipError(482, 'Loop Detected');
  return loop;
}
