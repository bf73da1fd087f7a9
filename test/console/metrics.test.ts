/**
 * The console's reading of `/metrics` (console/src/metrics.ts): Prometheus text into samples, rates
 * between two scrapes (a reset counts as zero), sums over a family's labels.
 */
import { describe, expect, it } from 'vitest';
import { family, parseMetrics, rates } from '../../console/src/metrics.js';

const A = '# TYPE sip_requests_received_total counter\nsip_requests_received_total{method="REGISTER"} 10\nsip_requests_received_total{method="INVITE"} 4\nsip_auth_failures_total 2\n';
const B = 'sip_requests_received_total{method="REGISTER"} 30\nsip_requests_received_total{method="INVITE"} 4\nsip_auth_failures_total 1\nsip_new_total 5\n';

describe('metrics', () => {
  it('parses samples, skipping comments and blank lines', () => {
    expect([...parseMetrics(A)]).toEqual([
      ['sip_requests_received_total{method="REGISTER"}', 10], ['sip_requests_received_total{method="INVITE"}', 4], ['sip_auth_failures_total', 2],
    ]);
  });

  it('rates per second of counters in both scrapes; a counter that went down (reset) is 0', () => {
    const r = rates(parseMetrics(A), parseMetrics(B), 10);
    expect(r.get('sip_requests_received_total{method="REGISTER"}')).toBe(2);
    expect(r.get('sip_requests_received_total{method="INVITE"}')).toBe(0);
    expect(r.get('sip_auth_failures_total')).toBe(0);
    expect(r.has('sip_new_total')).toBe(false);
    expect(rates(parseMetrics(A), parseMetrics(B), 0).size).toBe(0);
  });

  it('sums a family over its labels, not other families sharing a prefix', () => {
    const s = parseMetrics(`${A}sip_requests_received_total_extra 100\n`);
    expect(family(s, 'sip_requests_received_total')).toBe(14);
  });
});
