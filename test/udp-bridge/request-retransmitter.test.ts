/**
 * Requests the Worker sends to a UDP device are retransmitted by the bridge
 * until the device answers (RFC 3261 Timer A/E).
 */
import { describe, expect, it } from 'vitest';
import { RequestRetransmitter } from '../../udp-bridge/src/request-retransmitter.js';
import { parseMessage } from '../../src/sip/parse.js';
import { summarize } from '../../udp-bridge/src/sip-scan.js';
import type { SipSummary } from '../../udp-bridge/src/sip-scan.js';

/** Hand-driven timers: `advance(ms)` fires what is due. */
function clock() {
  let now = 0;
  const due: Array<{ at: number; fn: () => void; id: number }> = [];
  let ids = 0;
  return {
    timers: {
      set: (fn: () => void, ms: number) => {
        const id = ++ids;
        due.push({ at: now + ms, fn, id });
        return id;
      },
      clear: (h: unknown) => {
        const i = due.findIndex((d) => d.id === h);
        if (i >= 0) due.splice(i, 1);
      },
    },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        due.sort((a, b) => a.at - b.at);
        const next = due[0];
        if (!next || next.at > end) break;
        due.shift();
        now = next.at;
        next.fn();
      }
      now = end;
    },
  };
}

function parsed(text: string): SipSummary {
  const p = parseMessage(text);
  if (!p.ok) throw new Error(p.error.reason);
  return summarize(p.value);
}

const request = (method: string) =>
  parsed(`${method} sip:cam@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK.x1\r\nFrom: <sip:p@r>;tag=1\r\nTo: <sip:cam@r>\r\nCall-ID: c\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`);
const response = (status: number, method: string) =>
  parsed(`SIP/2.0 ${status} X\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK.x1\r\nFrom: <sip:p@r>;tag=1\r\nTo: <sip:cam@r>;tag=2\r\nCall-ID: c\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`);

describe('RequestRetransmitter', () => {
  it('retransmits a MESSAGE at T1, 2·T1, 4·T1 … capped at T2 until a final response', () => {
    const c = clock();
    const sent: number[] = [];
    let t = 0;
    const r = new RequestRetransmitter(() => sent.push(t), c.timers);
    r.sent(request('MESSAGE'), new Uint8Array([1]));
    for (let i = 0; i < 20; i++) {
      t += 500;
      c.advance(500);
    }
    expect(sent).toEqual([500, 1500, 3500, 7500]);
    r.received(response(200, 'MESSAGE'));
    c.advance(20_000);
    expect(sent).toHaveLength(4);
    expect(r.size).toBe(0);
  });

  it('stops an INVITE on the first provisional response', () => {
    const c = clock();
    let n = 0;
    const r = new RequestRetransmitter(() => n++, c.timers);
    r.sent(request('INVITE'), new Uint8Array([1]));
    c.advance(600);
    r.received(response(100, 'INVITE'));
    c.advance(30_000);
    expect(n).toBe(1);
  });

  it('never retransmits ACK, and gives up after 64·T1', () => {
    const c = clock();
    let n = 0;
    const r = new RequestRetransmitter(() => n++, c.timers);
    r.sent(request('ACK'), new Uint8Array([1]));
    expect(r.size).toBe(0);
    r.sent(request('OPTIONS'), new Uint8Array([1]));
    c.advance(40_000);
    expect(r.size).toBe(0);
    expect(n).toBeGreaterThan(5);
  });
});
