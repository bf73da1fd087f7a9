/**
 * Typed configuration read from the Worker's vars and secrets.
 * @module
 */
import type { Env } from './env.js';
import { DEFAULT_FLOW_LIMITS, type FlowLimitPolicy } from './transport/flow-limits.js';
import type { MetricsFlushPolicy } from './objects/metrics-buffer.js';
import { hmacSha256 } from './auth/hash.js';
import { parseAlgorithm, type DigestAlgorithm } from './auth/digest.js';

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
  /** Digest algorithms offered in 401/407 challenges (`DIGEST_ALGORITHMS`), in preference order. */
  digestAlgorithms: DigestAlgorithm[];
  /** HMAC key for nonces; empty when unset, and then registrations are refused. */
  nonceSecret: Uint8Array;
  /**
   * HMAC key of the Record-Route signatures: `ROUTE_SECRET`, or else a key derived from `NONCE_SECRET` for
   * this use only (so one secret never signs two kinds of thing).
   */
  routeSecret: Uint8Array;
  /** GB/T 28181 platform settings; null when GB_PLATFORM_ID is not set. */
  gb: GbConfig | null;
  /** Per-connection bounds: messages/s, burst, failed authentications before the connection is closed. */
  flowLimits: FlowLimitPolicy;
  /** How far past a grant a lease's horizon lies (`registrar/lease.ts`), ms. */
  leaseTermMs: number;
  /** When flows send their counters to the metrics shards. */
  metricsFlush: MetricsFlushPolicy;
  /** Count billed Durable Object units (`objects/ledger.ts`); for the ledger benchmark. */
  ledger: boolean;
}

/** GB/T 28181 platform settings (the platform side; devices register to it). */
export interface GbConfig {
  /** 20-digit platform ID (type 200), e.g. 34020000002000000001. */
  platformId: string;
  /** SIP domain and digest realm of the devices: by default the platform ID's first 10 digits. */
  realm: string;
  /** Shared device password (what GB platforms offer); per-device passwords override it. Empty: none. */
  password: string;
  /** Expected keepalive interval, seconds. */
  keepaliveInterval: number;
  /** Missed keepalives after which a device is offline. */
  keepaliveMisses: number;
  /** Offset of the local time written in `Date:` for devices, minutes east of UTC (China: 480). */
  utcOffsetMinutes: number;
  /** Default media server for live view (IP and RTP port), or null. */
  media: { ip: string; port: number } | null;
  /** Seconds before expiry a subscription is refreshed (half way when it is not longer than this). */
  subscriptionMargin: number;
  /** Voice broadcast audio source (IP and RTP port the G.711 comes from), or null: the API then needs one. */
  broadcastAudio: { ip: string; port: number } | null;
}

const IP_LITERAL = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

function readGb(env: Env): GbConfig | null {
  const platformId = env.GB_PLATFORM_ID ?? '';
  if (!/^\d{20}$/.test(platformId)) return null;
  const mediaPort = int(env.GB_MEDIA_PORT, 0);
  const audioPort = int(env.GB_BROADCAST_AUDIO_PORT, 0);
  return {
    platformId,
    realm: env.GB_REALM || platformId.slice(0, 10),
    password: env.GB_PASSWORD ?? '',
    keepaliveInterval: int(env.GB_KEEPALIVE_INTERVAL, 60),
    keepaliveMisses: int(env.GB_KEEPALIVE_MISSES, 3),
    utcOffsetMinutes: Number.parseInt(env.GB_UTC_OFFSET_MINUTES ?? '480', 10) || 0,
    media: env.GB_MEDIA_IP && mediaPort > 0 ? { ip: env.GB_MEDIA_IP, port: mediaPort } : null,
    subscriptionMargin: int(env.GB_SUBSCRIPTION_MARGIN, 60),
    // The address goes into SDP: an IP literal only.
    broadcastAudio: IP_LITERAL.test(env.GB_BROADCAST_AUDIO_IP ?? '') && audioPort > 0 && audioPort <= 65535 ? { ip: env.GB_BROADCAST_AUDIO_IP!, port: audioPort } : null,
  };
}

/** `MD5`, `SHA-256` or both, comma-separated (RFC 8760 names, any case); unknown names are ignored. */
function digestAlgorithms(value: string | undefined): DigestAlgorithm[] {
  const out = (value ?? DEFAULT_DIGEST_ALGORITHMS).split(',').map((a) => parseAlgorithm(a.trim())).filter((a): a is DigestAlgorithm => a !== null);
  return out.length > 0 ? [...new Set(out)] : ['MD5'];
}

/**
 * Offered when DIGEST_ALGORITHMS is unset: one MD5 challenge, the set every client of the e2e suite accepts
 * (baresip 1.0 gives up on a 401 that names any other algorithm; JsSIP, SIP.js, SIPp, linphonec and cameras
 * all speak MD5).
 */
const DEFAULT_DIGEST_ALGORITHMS = 'MD5';

function routeSecret(env: Env): Uint8Array {
  const enc = new TextEncoder();
  if (env.ROUTE_SECRET) return enc.encode(env.ROUTE_SECRET);
  return hmacSha256(enc.encode(env.NONCE_SECRET ?? ''), enc.encode('edge-sip record-route v1'));
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
    digestAlgorithms: digestAlgorithms(env.DIGEST_ALGORITHMS),
    nonceSecret: new TextEncoder().encode(env.NONCE_SECRET ?? ''),
    routeSecret: routeSecret(env),
    gb: readGb(env),
    flowLimits: {
      rate: int(env.FLOW_MESSAGE_RATE, DEFAULT_FLOW_LIMITS.rate) || DEFAULT_FLOW_LIMITS.rate,
      burst: int(env.FLOW_MESSAGE_BURST, DEFAULT_FLOW_LIMITS.burst) || DEFAULT_FLOW_LIMITS.burst,
      maxAuthFailures: int(env.FLOW_MAX_AUTH_FAILURES, DEFAULT_FLOW_LIMITS.maxAuthFailures) || DEFAULT_FLOW_LIMITS.maxAuthFailures,
    },
    leaseTermMs: (int(env.LEASE_SECONDS, 604_800) || 604_800) * 1000,
    metricsFlush: { events: int(env.METRICS_FLUSH_EVENTS, 5000) || 1, ageMs: int(env.METRICS_FLUSH_SECONDS, 86_400) * 1000 },
    ledger: env.LEDGER === 'on' || env.LEDGER === 'true',
  };
}
