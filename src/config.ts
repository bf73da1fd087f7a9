/**
 * Typed configuration read from the Worker's vars and secrets.
 * @module
 */
import type { Env } from './env.js';

/** Registrar and authentication policy. */
export interface Config {
  /** Domain whose AORs this registrar owns (RFC 3261 §10.3 step 1). */
  domain: string;
  /** Digest realm (RFC 3261 §22.1). */
  realm: string;
  /** Shortest registration accepted; shorter ones get 423 (RFC 3261 §10.3 step 7). */
  minExpires: number;
  /** Longest registration granted; longer ones are shortened. */
  maxExpires: number;
  /** Interval used when the REGISTER names none. */
  defaultExpires: number;
  /** Nonce lifetime in ms; older nonces get `stale=true`. */
  nonceTtlMs: number;
  /** HMAC key for nonces; empty when unset, and then registrations are refused. */
  nonceSecret: Uint8Array;
}

function int(value: string | undefined, fallback: number): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Read {@link Config} from the environment, with documented defaults. */
export function readConfig(env: Env): Config {
  const domain = (env.SIP_DOMAIN ?? 'edge-sip.test').toLowerCase();
  return {
    domain,
    realm: env.SIP_REALM ?? domain,
    minExpires: int(env.MIN_EXPIRES, 60),
    maxExpires: int(env.MAX_EXPIRES, 7200),
    defaultExpires: int(env.DEFAULT_EXPIRES, 3600),
    nonceTtlMs: int(env.NONCE_TTL, 300) * 1000,
    nonceSecret: new TextEncoder().encode(env.NONCE_SECRET ?? ''),
  };
}
