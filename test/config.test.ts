/**
 * Configuration from the Worker's vars and secrets: documented defaults, and one secret never signing two kinds of thing.
 */
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.js';
import type { Env } from '../src/env.js';

const env = (over: Partial<Env>) => over as Env;

describe('readConfig', () => {
  it('signs Record-Routes with a key derived from NONCE_SECRET, never with the nonce key itself, or with ROUTE_SECRET', () => {
    const a = readConfig(env({ NONCE_SECRET: 'n1' }));
    expect(Buffer.from(a.routeSecret).equals(Buffer.from(a.nonceSecret))).toBe(false);
    expect(readConfig(env({ NONCE_SECRET: 'n1' })).routeSecret).toEqual(a.routeSecret);
    expect(readConfig(env({ NONCE_SECRET: 'n2' })).routeSecret).not.toEqual(a.routeSecret);
    expect(new TextDecoder().decode(readConfig(env({ NONCE_SECRET: 'n1', ROUTE_SECRET: 'r' })).routeSecret)).toBe('r');
  });

  it('leases for a week, sends counters after 5000 events or a day, and counts no ledger by default', () => {
    const c = readConfig(env({}));
    expect(c.leaseTermMs).toBe(7 * 86_400_000);
    expect(c.metricsFlush).toEqual({ events: 5000, ageMs: 86_400_000 });
    expect(c.ledger).toBe(false);
    expect(readConfig(env({ LEDGER: 'on', LEASE_SECONDS: '60' }))).toMatchObject({ ledger: true, leaseTermMs: 60_000 });
  });

  it('offers MD5 alone unless DIGEST_ALGORITHMS names others', () => {
    expect(readConfig(env({})).digestAlgorithms).toEqual(['MD5']);
    expect(readConfig(env({ DIGEST_ALGORITHMS: 'MD5,SHA-256' })).digestAlgorithms).toEqual(['MD5', 'SHA-256']);
    expect(readConfig(env({ DIGEST_ALGORITHMS: 'md5' })).digestAlgorithms).toEqual(['MD5']);
    expect(readConfig(env({ DIGEST_ALGORITHMS: 'SHA-256, MD5' })).digestAlgorithms).toEqual(['SHA-256', 'MD5']);
    expect(readConfig(env({ DIGEST_ALGORITHMS: 'sha-512' })).digestAlgorithms).toEqual(['MD5']);
  });

  it('has a broadcast audio source only when GB_BROADCAST_AUDIO_IP is an address and the port is 1-65535', () => {
    const gb = (over: Partial<Env>) => readConfig(env({ GB_PLATFORM_ID: '34020000002000000001', ...over })).gb!.broadcastAudio;
    expect(gb({})).toBeNull();
    expect(gb({ GB_BROADCAST_AUDIO_IP: '198.51.100.30', GB_BROADCAST_AUDIO_PORT: '10000' })).toEqual({ ip: '198.51.100.30', port: 10_000 });
    expect(gb({ GB_BROADCAST_AUDIO_IP: '198.51.100.30' })).toBeNull();
    expect(gb({ GB_BROADCAST_AUDIO_IP: '198.51.100.30', GB_BROADCAST_AUDIO_PORT: '70000' })).toBeNull();
    expect(gb({ GB_BROADCAST_AUDIO_IP: 'media\r\nX: y', GB_BROADCAST_AUDIO_PORT: '10000' })).toBeNull();
  });
});
