/**
 * GB/T 28181 identifiers: 20-digit codes (编码规则A, 2022 edition drops the 18-digit rule B).
 * @module
 */

import { fail, ok } from '../sip/message.js';
import type { Result } from '../sip/message.js';

/** What an ID names, from its 3-digit type code. */
export type GbIdKind = 'device' | 'channel' | 'platform' | 'user' | 'other';

/** A 20-digit GB ID split into its fields: `CCCCCCCC II TTT N SSSSSS`. */
export interface GbId {
  /** The whole ID, 20 digits. */
  readonly id: string;
  /** Centre code (GB/T 2260 administrative division), 8 digits. */
  readonly region: string;
  /** Industry code, 2 digits. */
  readonly industry: string;
  /** Type code, 3 digits (132 IPC, 118 NVR, 200 platform …). */
  readonly type: string;
  /** Network identifier, 1 digit. */
  readonly network: string;
  /** Serial number, 6 digits. */
  readonly serial: string;
  /** Coarse class derived from {@link GbId.type}. */
  readonly kind: GbIdKind;
}

/** Business group (215) and virtual organisation (216) are catalog-tree nodes, not platforms. */
const TREE_NODE_TYPES = new Set([215, 216]);

/** True when `s` is exactly 20 ASCII decimal digits. */
export function isGbId(s: string): boolean {
  if (s.length !== 20) return false;
  for (let i = 0; i < 20; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Classify a 3-digit type code: 111–130 front-end main devices (DVR, NVR, encoder …),
 * 131–199 peripherals reachable as channels (cameras, alarm in/out …), 200–299 platform
 * devices (200 = central signaling server), 300–499 central and terminal users.
 */
export function kindOfType(type: number): GbIdKind {
  if (type >= 111 && type <= 130) return 'device';
  if (type >= 131 && type <= 199) return 'channel';
  if (TREE_NODE_TYPES.has(type)) return 'other';
  if (type >= 200 && type <= 299) return 'platform';
  if (type >= 300 && type <= 499) return 'user';
  return 'other';
}

/** Split and classify a 20-digit GB ID; fails with a reason when `s` is not 20 digits. */
export function parseGbId(s: string): Result<GbId> {
  if (!isGbId(s)) return fail(`GB ID must be 20 decimal digits, got ${JSON.stringify(s.slice(0, 40))}`);
  const type = s.slice(10, 13);
  return ok({
    id: s,
    region: s.slice(0, 8),
    industry: s.slice(8, 10),
    type,
    network: s.slice(13, 14),
    serial: s.slice(14, 20),
    kind: kindOfType(Number(type)),
  });
}

/**
 * SIP domain / digest realm of a platform: by convention the first 10 digits of its ID
 * (centre code + industry), e.g. `34020000002000000001` → `3402000000`.
 */
export function realmOf(platformId: string): string {
  return platformId.slice(0, 10);
}
