/**
 * CSeq header values (RFC 3261 §20.16).
 * @module
 */

import { fail, ok } from './message.js';
import type { Result } from './message.js';
import { isTokenChar } from './token.js';

/** Largest CSeq sequence number: "MUST be expressible as a 32-bit unsigned integer" (RFC 3261 §8.1.1.5). */
export const MAX_CSEQ = 0xffffffff;

/** A parsed CSeq. */
export interface CSeq {
  seq: number;
  method: string;
}

/** Parse `1*DIGIT LWS Method`; the number must not exceed 2^32-1. */
export function parseCSeq(value: string): Result<CSeq> {
  const v = value.trim();
  let i = 0;
  while (i < v.length && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) i++;
  if (i === 0) return fail('CSeq number missing');
  let j = i;
  while (j < v.length && (v.charCodeAt(j) === 32 || v.charCodeAt(j) === 9)) j++;
  if (j === i || j === v.length) return fail('CSeq method missing');
  for (let k = j; k < v.length; k++) if (!isTokenChar(v.charCodeAt(k))) return fail('Invalid CSeq method');
  let digits = v.slice(0, i);
  while (digits.length > 1 && digits.charCodeAt(0) === 48) digits = digits.slice(1);
  if (digits.length > 10) return fail('CSeq number exceeds 2^32-1');
  const seq = Number(digits);
  if (seq > MAX_CSEQ) return fail('CSeq number exceeds 2^32-1');
  return ok({ seq, method: v.slice(j) });
}
