/**
 * A traced message's record (CONTRACT "TraceMessage") and the text download.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import { MAX_TRACE_TEXT, traceRecord, traceText } from '../../src/trace/record.js';

const at = { flowId: 'f1', transport: 'ws', peer: '192.0.2.1' };
const invite = 'INVITE sip:b@edge-sip.test SIP/2.0\r\nVia: SIP/2.0/WS a.invalid;branch=z9hG4bK1\r\nFrom: <sip:a@edge-sip.test>;tag=1\r\nTo: <sip:b@edge-sip.test>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nProxy-Authorization: Digest username="a", response="x"\r\nContent-Length: 0\r\n\r\n';

describe('traceRecord', () => {
  it('names the method, Call-ID and CSeq of a request, and masks its credentials', () => {
    const p = parseMessage(invite);
    const r = traceRecord(p.ok ? p.value : null, invite, 'in', at, 'sip:b@edge-sip.test', 1000);
    expect(r).toMatchObject({ time: 1000, direction: 'in', flowId: 'f1', transport: 'ws', peer: '192.0.2.1', aor: 'sip:b@edge-sip.test', method: 'INVITE', callId: 'c1', cseq: '1 INVITE' });
    expect(r.text).toContain('Proxy-Authorization: ***\r\n');
    expect(r.text).not.toContain('response=');
  });

  it('names the status and reason of a response, and keeps an unparsable frame as text', () => {
    const ok = 'SIP/2.0 180 Ringing\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
    const p = parseMessage(ok);
    expect(traceRecord(p.ok ? p.value : null, ok, 'out', at, 'sip:b@x', 0)).toMatchObject({ status: 180, reason: 'Ringing', callId: 'c1' });
    const junk = traceRecord(null, 'garbage', 'in', at, 'sip:b@x', 0);
    expect(junk).toMatchObject({ callId: '', cseq: '', text: 'garbage' });
    expect(junk.method).toBeUndefined();
  });

  it('cuts a very long message and says how much was left out', () => {
    const r = traceRecord(null, 'x'.repeat(MAX_TRACE_TEXT + 10), 'in', at, 'sip:b@x', 0);
    expect(r.text.endsWith('[… 10 more characters not kept]')).toBe(true);
  });
});

describe('traceText', () => {
  it('writes each message after a line naming it', () => {
    const p = parseMessage(invite);
    const r = { seq: 7, ...traceRecord(p.ok ? p.value : null, invite, 'in', at, 'sip:b@edge-sip.test', 0) };
    const text = traceText([r]);
    expect(text.split('\r\n')[0]).toBe('#7 1970-01-01T00:00:00.000Z IN 192.0.2.1 -> service ws flow f1 sip:b@edge-sip.test INVITE Call-ID: c1');
    expect(text).toContain('INVITE sip:b@edge-sip.test SIP/2.0\r\n');
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });
});
