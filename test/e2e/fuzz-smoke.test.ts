/**
 * Keeps the wire fuzzer (fuzz/, `npm run fuzz`, issue #13) from rotting: a tiny run, a few thousand mutated
 * messages over WebSockets and through the real udp-bridge against a really started Worker, with its own
 * required outcomes checked. No timing assertions: the full run and its figures are in docs/reliability.md.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../fuzz/fuzz.js';
import { renderReport } from '../../fuzz/report.js';

describe('wire fuzzing at tiny size', () => {
  it('sends mutated messages over both transports, and the Worker and the bridge come through', async () => {
    const r = await runFuzz({ count: 3_000, seconds: 90, seed: 13, wsFlows: 4, udpFlows: 4, outDir: null });
    const report = renderReport(r);
    expect(r.checks.filter((c) => !c.ok), report).toEqual([]);
    expect(r.ws.tally.sent + r.udp.tally.sent, report).toBeGreaterThanOrEqual(3_000);
    for (const t of [r.ws.tally, r.udp.tally]) {
      expect(t.sent, report).toBeGreaterThan(0);
      // The parser's refusals and the handlers' answers both show up: the mutations reach past the parser.
      expect(t.finals['400'] ?? 0, report).toBeGreaterThan(0);
      expect(t.classes()['401/407'], report).toBeGreaterThan(0);
      expect(t.liveness.checked, report).toBeGreaterThan(0);
    }
    // The drop counters were read: the bridge dropped what was not SIP.
    expect(r.udp.bridge.get('sip_bridge_drops_total{reason="not_sip"}') ?? 0, report).toBeGreaterThan(0);
    expect(report).toContain('| mutated messages sent |');
  }, 240_000);
});
