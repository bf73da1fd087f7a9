/**
 * Bindings of the Worker (wrangler.toml `[vars]`, secrets, Durable Object namespaces).
 * @module
 */
import type { AorObject } from './objects/aor-object.js';
import type { FlowObject } from './objects/flow-object.js';
import type { MetricsObject } from './objects/metrics-object.js';
import type { GbDirectoryObject } from './objects/gb-directory-object.js';
import type { GuardObject } from './objects/guard-object.js';
import type { UserDirectoryObject } from './objects/user-directory-object.js';

/** The Worker's environment. Secrets come from `.dev.vars` locally and `wrangler secret put` in production. */
export interface Env {
  FLOW: DurableObjectNamespace<FlowObject>;
  AOR: DurableObjectNamespace<AorObject>;
  METRICS: DurableObjectNamespace<MetricsObject>;
  GB_DIRECTORY: DurableObjectNamespace<GbDirectoryObject>;
  GUARD: DurableObjectNamespace<GuardObject>;
  USER_DIRECTORY: DurableObjectNamespace<UserDirectoryObject>;
  /** SIP domain served here, e.g. `edge-sip.test`. */
  SIP_DOMAIN?: string;
  /** Digest realm; defaults to SIP_DOMAIN. */
  SIP_REALM?: string;
  MIN_EXPIRES?: string;
  MAX_EXPIRES?: string;
  DEFAULT_EXPIRES?: string;
  NONCE_TTL?: string;
  /** GB/T 28181: 20-digit platform ID; unset disables the GB28181 side. */
  GB_PLATFORM_ID?: string;
  /** GB/T 28181: device realm/domain; defaults to the platform ID's first 10 digits. */
  GB_REALM?: string;
  /** GB/T 28181: shared device password (secret). */
  GB_PASSWORD?: string;
  GB_KEEPALIVE_INTERVAL?: string;
  GB_KEEPALIVE_MISSES?: string;
  GB_UTC_OFFSET_MINUTES?: string;
  /** GB/T 28181: default media server (e.g. ZLMediaKit) RTP address for live view. */
  GB_MEDIA_IP?: string;
  GB_MEDIA_PORT?: string;
  /** Per-connection bounds (see README): messages/s, burst, failed authentications before closing. */
  FLOW_MESSAGE_RATE?: string;
  FLOW_MESSAGE_BURST?: string;
  FLOW_MAX_AUTH_FAILURES?: string;
  /** Digest algorithms offered in challenges: `MD5`, `SHA-256` or both, comma-separated. */
  DIGEST_ALGORITHMS?: string;
  /** Seconds a lease lets a flow answer refreshes alone (default a week). */
  LEASE_SECONDS?: string;
  /** Flows send their counters after this many events or seconds (defaults 1000 and 21600). */
  METRICS_FLUSH_EVENTS?: string;
  METRICS_FLUSH_SECONDS?: string;
  /** `on`: count billed Durable Object units into `/metrics` (the ledger benchmark). */
  LEDGER?: string;
  /** Bearer token for `/api/v1` (secret). Without it the API refuses every request. */
  ADMIN_TOKEN?: string;
  /** Shared token of udp-bridge instances (secret). Only they may forward a device's UDP address. */
  BRIDGE_TOKEN?: string;
  /** HMAC key that signs digest nonces (secret); Record-Route signatures use a key derived from it. */
  NONCE_SECRET?: string;
  /** HMAC key of Record-Route signatures (secret, optional): set it to rotate nonces and routes apart. */
  ROUTE_SECRET?: string;
}
