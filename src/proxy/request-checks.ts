/**
 * Checks every request passes before it is handled, as registrar (UAS) or as
 * proxy: Request-URI scheme and extensions.
 * @module
 */
import { SipError } from '../sip/errors.js';
import type { SipRequest } from '../sip/message.js';
import type { RequestEssentials } from '../sip/validate.js';

/** Extensions this service implements as a registrar (RFC 3327 Path, RFC 5626 Outbound). */
const SUPPORTED = new Set(['path', 'outbound']);

/**
 * Request-URI scheme (RFC 3261 §8.2.2.1, 416) and extension checks: any
 * Proxy-Require option (§16.3 step 5) and, where we are the UAS, any Require
 * option we lack (§8.2.2.3) get 420 with Unsupported.
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
