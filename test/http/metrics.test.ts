/**
 * GET /metrics: service counters in the Prometheus text format, behind the admin token.
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { connect } from '../objects/helpers.js';

async function metrics(token: string | null): Promise<Response> {
  return exports.default.fetch('http://edge/metrics', { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

describe('/metrics', () => {
  it('needs the admin token', async () => {
    expect((await metrics(null)).status).toBe(401);
  });

  it('counts connections, requests and dropped frames', async () => {
    const c = await connect();
    c.send('garbage that is not SIP');
    const res = await c.request('OPTIONS sip:edge-sip.test SIP/2.0\r\nVia: SIP/2.0/WS m.invalid;branch=z9hG4bKm1\r\nMax-Forwards: 70\r\nFrom: <sip:m@edge-sip.test>;tag=1\r\nTo: <sip:edge-sip.test>\r\nCall-ID: m1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    expect(res.status).toBe(200);
    c.close();
    let text = '';
    for (let i = 0; i < 60; i++) {
      text = await (await metrics('test-admin-token')).text();
      if (text.includes('sip_connections_closed_total') && text.includes('OPTIONS')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(text).toContain('# TYPE sip_connections_opened_total counter');
    expect(text).toMatch(/sip_requests_received_total\{method="OPTIONS"\} \d+/);
    expect(text).toMatch(/sip_frames_dropped_total \d+/);
  });
});
