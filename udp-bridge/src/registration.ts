/**
 * What a 2xx to a device's REGISTER grants, so the bridge keeps a registered device's flow open.
 * @module
 */

import { parseContactList } from '../../src/sip/name-addr.js';
import type { SipSummary } from './sip-scan.js';

/**
 * Longest registration a 2xx to REGISTER grants: Contact `expires` params, else the Expires header (seconds).
 * "The 200 (OK) response … contain[s] Contact header field values enumerating all current bindings"
 * (RFC 3261 §10.3 step 8), each with its expiration.
 */
export function grantedExpires(res: SipSummary): number {
  const header = Number(res.expires ?? '0');
  const fallback = Number.isFinite(header) ? header : 0;
  const contacts = parseContactList(res.contacts);
  if (!contacts.ok || contacts.value === '*' || contacts.value.length === 0) return 0;
  let max = 0;
  for (const c of contacts.value) {
    const p = c.params.get('expires');
    const n = p == null ? fallback : Number(p);
    if (Number.isFinite(n) && n > max) max = n;
  }
  return max;
}

/**
 * {@link grantedExpires} with a memory of the last answer: a device refreshing its registration gets the same
 * Contact list back each time, so most 2xx need no Contact parse. Exact: the result depends on nothing else.
 */
export class GrantedExpiresMemo {
  private contacts: readonly string[] | null = null;
  private expires: string | undefined;
  private seconds = 0;

  /** The longest registration `res` grants, in seconds. */
  of(res: SipSummary): number {
    const last = this.contacts;
    if (last !== null && res.expires === this.expires && last.length === res.contacts.length && last.every((c, i) => c === res.contacts[i])) {
      return this.seconds;
    }
    this.seconds = grantedExpires(res);
    this.contacts = res.contacts;
    this.expires = res.expires;
    return this.seconds;
  }
}
