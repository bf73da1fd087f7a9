/**
 * The one typed error that handlers throw; a single mapper turns it into a response.
 * @module
 */

import { reasonPhrase } from './status.js';

/** A failure that maps to a SIP final response (e.g. `new SipError(423, undefined, [['Min-Expires', '60']])`). */
export class SipError extends Error {
  /** SIP status code (300-699). */
  readonly status: number;
  /** Reason phrase sent on the status line. */
  readonly reason: string;
  /** Extra headers for the response (`Min-Expires`, `Allow`, `Unsupported` …). */
  readonly headers: ReadonlyArray<readonly [string, string]>;

  constructor(status: number, reason?: string, headers: ReadonlyArray<readonly [string, string]> = []) {
    const phrase = reason ?? reasonPhrase(status);
    super(`${status} ${phrase}`);
    this.name = 'SipError';
    this.status = status;
    this.reason = phrase;
    this.headers = headers;
  }
}
