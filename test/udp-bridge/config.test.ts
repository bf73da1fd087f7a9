import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, MAX_UDP_PAYLOAD, parseConfig, parseHostPort } from '../../udp-bridge/src/config.js';
import type { BridgeConfig } from '../../udp-bridge/src/config.js';

function run(argv: string[], env: Record<string, string> = {}): BridgeConfig {
  const r = parseConfig(argv, env);
  if (!r.ok) throw new Error(r.error);
  if (r.value.kind !== 'run') throw new Error('expected run');
  return r.value.config;
}

function error(argv: string[], env: Record<string, string> = {}): string {
  const r = parseConfig(argv, env);
  if (r.ok) throw new Error('expected a failure');
  return r.error;
}

describe('parseConfig', () => {
  it('uses the documented defaults with no flags and no environment', () => {
    const c = run([]);
    expect(c).toEqual(DEFAULT_CONFIG);
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 5060 });
    expect(c.upstream).toBe('ws://127.0.0.1:8787/sip');
    expect(c.token).toBeNull();
    expect(c.metrics).toBeNull();
    expect(c.retransmissionTtlMs).toBe(32_000);
  });

  it('reads every flag', () => {
    const c = run([
      '--listen', '10.0.0.1:5070', '--upstream', 'wss://sip.example.com/sip', '--token', 's3cret',
      '--metrics', '0.0.0.0:9100', '--max-datagram', '1500', '--idle-timeout', '60', '--rate', '10',
      '--burst', '20', '--max-flows', '5', '--log-level', 'debug',
    ]);
    expect(c.listen).toEqual({ host: '10.0.0.1', port: 5070 });
    expect(c.upstream).toBe('wss://sip.example.com/sip');
    expect(c.token).toBe('s3cret');
    expect(c.metrics).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(c.maxDatagramBytes).toBe(1500);
    expect(c.idleTimeoutMs).toBe(60_000);
    expect(c.ratePerSecond).toBe(10);
    expect(c.rateBurst).toBe(20);
    expect(c.maxFlows).toBe(5);
    expect(c.logLevel).toBe('debug');
  });

  it('reads the environment, and flags win over it', () => {
    const env = { BRIDGE_LISTEN: '127.0.0.1:6000', BRIDGE_UPSTREAM: 'ws://w/sip', BRIDGE_TOKEN: 'from-env', BRIDGE_METRICS: ':9090' };
    const c = run([], env);
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 6000 });
    expect(c.upstream).toBe('ws://w/sip');
    expect(c.token).toBe('from-env');
    expect(c.metrics).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(run(['--token', 'from-flag'], env).token).toBe('from-flag');
  });

  it('reads the per-IP flow limits and the response cache bounds from flags and the environment, flags first', () => {
    expect(run([])).toMatchObject({ maxFlowsPerIp: 64, newFlowsPerIpPerSecond: 10, newFlowsPerIpBurst: 50, cacheFlowBytes: 262_144, cacheTotalBytes: 67_108_864 });
    const flags = ['--max-flows-per-ip', '8', '--new-flows-per-ip', '2', '--new-flows-burst', '4', '--cache-flow-bytes', '65536', '--cache-total-bytes', '1048576'];
    expect(run(flags)).toMatchObject({ maxFlowsPerIp: 8, newFlowsPerIpPerSecond: 2, newFlowsPerIpBurst: 4, cacheFlowBytes: 65_536, cacheTotalBytes: 1_048_576 });
    const env = { BRIDGE_MAX_FLOWS_PER_IP: '16', BRIDGE_NEW_FLOWS_PER_IP: '3', BRIDGE_NEW_FLOWS_BURST: '6', BRIDGE_CACHE_FLOW_BYTES: '1000', BRIDGE_CACHE_TOTAL_BYTES: '2000' };
    expect(run([], env)).toMatchObject({ maxFlowsPerIp: 16, newFlowsPerIpPerSecond: 3, newFlowsPerIpBurst: 6, cacheFlowBytes: 1000, cacheTotalBytes: 2000 });
    expect(run(['--max-flows-per-ip', '1'], env).maxFlowsPerIp).toBe(1);
    expect(error(['--new-flows-per-ip', '0'])).toMatch(/new-flows-per-ip.*out of range/);
    expect(error([], { BRIDGE_CACHE_TOTAL_BYTES: '64M' })).toMatch(/cache-total-bytes.*positive integer/);
  });

  it('treats an empty environment variable as unset', () => {
    expect(run([], { BRIDGE_TOKEN: '' }).token).toBeNull();
  });

  it('returns help for --help and -h', () => {
    expect(parseConfig(['--help'], {})).toEqual({ ok: true, value: { kind: 'help' } });
    expect(parseConfig(['-h', '--listen', 'bad'], {})).toEqual({ ok: true, value: { kind: 'help' } });
  });

  it('caps the datagram size at the UDP payload maximum', () => {
    expect(run(['--max-datagram', '100000']).maxDatagramBytes).toBe(MAX_UDP_PAYLOAD);
  });

  it.each([
    [['--bogus'], /bogus/],
    [['positional'], /unexpected argument/],
    [['--upstream', 'http://x/sip'], /ws:\/\/ or wss:\/\//],
    [['--upstream', 'not a url'], /not a URL/],
    [['--listen', '1.2.3.4:99999'], /bad port/],
    [['--listen', '::1:5060'], /brackets/],
    [['--rate', '0'], /out of range/],
    [['--burst', '1.5'], /positive integer/],
    [['--log-level', 'loud'], /log-level/],
  ])('rejects %j', (argv, message) => {
    expect(error(argv)).toMatch(message);
  });
});

describe('parseHostPort', () => {
  it.each([
    ['0.0.0.0:5060', { host: '0.0.0.0', port: 5060 }],
    ['[::]:5060', { host: '::', port: 5060 }],
    ['[2001:db8::1]:0', { host: '2001:db8::1', port: 0 }],
    [':5070', { host: '0.0.0.0', port: 5070 }],
    ['5080', { host: '0.0.0.0', port: 5080 }],
  ])('parses %s', (text, expected) => {
    expect(parseHostPort(text, 'listen')).toEqual(expected);
  });
});

describe('the TCP listener settings', () => {
  it('listens on TCP at the UDP address by default; --tcp-listen moves it, "off" turns it off; flags win over the environment', () => {
    expect(run([])).toMatchObject({ tcpListen: 'udp', tcpMaxMessageBytes: 65_536 });
    expect(run(['--tcp-listen', '10.0.0.1:5070', '--tcp-max-message', '8192'])).toMatchObject({ tcpListen: { host: '10.0.0.1', port: 5070 }, tcpMaxMessageBytes: 8192 });
    expect(run(['--tcp-listen', 'off']).tcpListen).toBeNull();
    expect(run([], { BRIDGE_TCP_LISTEN: 'off', BRIDGE_TCP_MAX_MESSAGE: '4096' })).toMatchObject({ tcpListen: null, tcpMaxMessageBytes: 4096 });
    expect(run(['--tcp-listen', ':5080'], { BRIDGE_TCP_LISTEN: 'off' }).tcpListen).toEqual({ host: '0.0.0.0', port: 5080 });
  });

  it('names the flag in its errors', () => {
    expect(error(['--tcp-listen', 'nope'])).toMatch(/^tcp-listen: /);
    expect(error(['--tcp-max-message', '0'])).toMatch(/tcp-max-message/);
  });
});
