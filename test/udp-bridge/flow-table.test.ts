import { describe, expect, it } from 'vitest';
import { FlowTable } from '../../udp-bridge/src/flow-table.js';
import type { FlowLimits } from '../../udp-bridge/src/flow-table.js';
import type { Source } from '../../udp-bridge/src/source.js';
import { seeded } from '../../fuzz/prng.js';

interface FakeFlow {
  source: Source;
}

const flow = (address: string, port: number): FakeFlow => ({ source: { address, port, family: address.includes(':') ? 'IPv6' : 'IPv4' } });

function table(over: Partial<FlowLimits> = {}): { t: FlowTable<FakeFlow>; at: (ms: number) => void; now: () => number } {
  let now = 0;
  const limits: FlowLimits = { maxFlows: 100, maxFlowsPerIp: 3, newFlowsPerIpPerSecond: 1, newFlowsPerIpBurst: 100, ...over };
  return { t: new FlowTable<FakeFlow>(limits, () => now), at: (ms) => (now = ms), now: () => now };
}

/** Admit and add, as the bridge does; the refusal when refused. */
function open(t: FlowTable<FakeFlow>, now: number, address: string, port: number): string | null {
  const f = flow(address, port);
  const refused = t.admit(address, now);
  if (refused === null) t.add(`${address}:${port}`, f);
  return refused;
}

describe('FlowTable', () => {
  it('refuses a flow beyond the per-IP limit while other IPs still open theirs', () => {
    const { t } = table();
    expect([1, 2, 3, 4].map((p) => open(t, 0, '203.0.113.9', p))).toEqual([null, null, null, 'flow_limit_per_ip']);
    expect(open(t, 0, '198.51.100.7', 1)).toBeNull();
    expect(t.flowsOf('203.0.113.9')).toBe(3);
    expect(t.flowsOf('198.51.100.7')).toBe(1);
    expect(t.size).toBe(4);
    // A closed flow makes room for another from the same IP.
    t.delete('203.0.113.9:2');
    expect(open(t, 0, '203.0.113.9', 5)).toBeNull();
  });

  it('limits the rate of new flows per IP with a token bucket, and refills it with the clock', () => {
    const { t, at } = table({ maxFlowsPerIp: 1000, newFlowsPerIpPerSecond: 10, newFlowsPerIpBurst: 5 });
    const ports = Array.from({ length: 7 }, (_, i) => i + 1);
    expect(ports.map((p) => open(t, 0, '203.0.113.9', p))).toEqual([null, null, null, null, null, 'new_flow_rate', 'new_flow_rate']);
    expect(open(t, 0, '198.51.100.7', 1)).toBeNull(); // its own bucket
    at(99);
    expect(open(t, 99, '203.0.113.9', 6)).toBe('new_flow_rate');
    at(100); // 100 ms at 10/s: one token
    expect(open(t, 100, '203.0.113.9', 6)).toBeNull();
    expect(open(t, 100, '203.0.113.9', 7)).toBe('new_flow_rate');
  });

  it('checks the table, then the IP, then the rate: a refused datagram takes no new-flow token', () => {
    const { t } = table({ maxFlows: 2, maxFlowsPerIp: 1, newFlowsPerIpBurst: 2, newFlowsPerIpPerSecond: 1 });
    expect(open(t, 0, '203.0.113.9', 1)).toBeNull();
    for (let p = 2; p < 50; p++) expect(open(t, 0, '203.0.113.9', p)).toBe('flow_limit_per_ip');
    expect(open(t, 0, '198.51.100.7', 1)).toBeNull();
    expect(open(t, 0, '192.0.2.1', 1)).toBe('flow_limit');
    t.delete('203.0.113.9:1');
    // The per-IP refusals took nothing: the IP still has one of its two tokens.
    expect(open(t, 0, '203.0.113.9', 2)).toBeNull();
    t.delete('203.0.113.9:2');
    expect(open(t, 0, '203.0.113.9', 3)).toBe('new_flow_rate');
  });

  it('keeps the count per IP exact through random opens, closes and a clear', () => {
    const { t } = table({ maxFlows: 40, maxFlowsPerIp: 6, newFlowsPerIpBurst: 1_000_000 });
    const random = seeded(13);
    const ips = ['203.0.113.1', '203.0.113.2', '2001:db8::1', '::ffff:203.0.113.1', '198.51.100.7'];
    const model = new Map<string, string>(); // key → counted IP
    for (let i = 0; i < 5_000; i++) {
      const address = ips[Math.floor(random() * ips.length)]!;
      const port = 1 + Math.floor(random() * 12);
      const ip = address.replace(/^::ffff:/, '');
      const key = `${ip}:${port}`;
      if (random() < 0.55) {
        if (t.get(key) !== undefined) continue;
        const refused = t.admit(ip, 0);
        if (refused === null) {
          t.add(key, flow(address, port));
          model.set(key, ip);
        }
      } else if (t.delete(key) !== undefined) model.delete(key);
      else expect(model.has(key)).toBe(false);
      for (const candidate of new Set(ips.map((a) => a.replace(/^::ffff:/, '')))) {
        const expected = [...model.values()].filter((m) => m === candidate).length;
        expect(t.flowsOf(candidate)).toBe(expected);
        expect(expected).toBeLessThanOrEqual(6);
      }
      expect(t.size).toBe(model.size);
    }
    expect(t.ips).toBeGreaterThan(0);
    expect(t.clear()).toHaveLength(model.size);
    expect([t.size, t.ips, t.flowsOf('203.0.113.1')]).toEqual([0, 0, 0]);
  });

  it('re-adding a key replaces its flow without counting it twice', () => {
    const { t } = table();
    t.add('203.0.113.9:1', flow('203.0.113.9', 1));
    t.add('203.0.113.9:1', flow('203.0.113.9', 1));
    expect(t.flowsOf('203.0.113.9')).toBe(1);
    t.delete('203.0.113.9:1');
    expect(t.delete('203.0.113.9:1')).toBeUndefined();
    expect([t.size, t.ips]).toEqual([0, 0]);
  });

  it('remembers at most maxTrackedIps new-flow buckets under a flood of spoofed IPs, and sweeps refilled ones', () => {
    const { t, at } = table({ maxFlows: 1_000_000, maxTrackedIps: 100, newFlowsPerIpPerSecond: 10, newFlowsPerIpBurst: 5 });
    for (let i = 0; i < 10_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      expect(t.admit(ip, 0)).toBeNull();
      expect(t.trackedIps).toBeLessThanOrEqual(100);
    }
    at(1_000);
    t.sweep();
    expect(t.trackedIps).toBe(0);
  });
});
