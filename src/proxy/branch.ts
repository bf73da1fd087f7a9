/**
 * The service's own Via branch (RFC 3261 §16.6 step 8): it names the object
 * that holds the client transaction, so a response arriving on the callee's
 * connection finds its way back, and carries a loop-detection hash (§16.3).
 * @module
 */
import type { SipRequest } from '../sip/message.js';
import { fnv1aHex } from '../sip/fnv.js';
import type { RequestEssentials } from '../sip/validate.js';

/** Kind of object that originated a forwarded request. */
export type OriginKind = 'flow' | 'aor';

/** Where responses to a forwarded request go. */
export interface BranchInfo {
  origin: OriginKind;
  /** Durable Object id (64 hex digits) of the originating object. */
  objectId: string;
  /** Loop-detection hash of the request as received. */
  loop: string;
  /** Transaction key, unique within the origin object. */
  tx: string;
}

const MAGIC = 'z9hG4bK';

/** Build our branch value. */
export function makeBranch(b: BranchInfo): string {
  return `${MAGIC}.${b.origin === 'flow' ? 'f' : 'a'}${b.objectId}.${b.loop}.${b.tx}`;
}

/** Read our branch back; null when the branch is not one of ours. */
export function parseBranch(branch: string | null | undefined): BranchInfo | null {
  if (!branch || !branch.startsWith(`${MAGIC}.`)) return null;
  const parts = branch.slice(MAGIC.length + 1).split('.');
  if (parts.length !== 3) return null;
  const [head, loop, tx] = parts as [string, string, string];
  const kind = head[0];
  const objectId = head.slice(1);
  if ((kind !== 'f' && kind !== 'a') || !/^[0-9a-f]{64}$/.test(objectId) || !/^[0-9a-f]{8}$/.test(loop) || !/^[0-9a-zA-Z]{1,32}$/.test(tx)) return null;
  return { origin: kind === 'f' ? 'flow' : 'aor', objectId, loop, tx };
}

/**
 * Loop-detection hash (RFC 3261 §16.6 step 8): the same request coming back
 * with the same Request-URI hashes the same; a spiral (new Request-URI) does not.
 */
export function loopHash(req: SipRequest, ess: RequestEssentials): string {
  return fnv1aHex(`${req.uri}|${ess.from.params.get('tag') ?? ''}|${ess.to.params.get('tag') ?? ''}|${ess.callId}|${ess.cseq.seq}`);
}
