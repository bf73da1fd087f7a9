/**
 * The console's ladder layout (console/src/ladder-layout.ts): columns per endpoint in order of first
 * appearance, the service one column, an arrow per message in `seq` order, responses marked.
 */
import { describe, expect, it } from 'vitest';
import { endpointOf, header, ladder, SERVICE } from '../../console/src/ladder-layout.js';
import type { TraceMessage } from '../../console/src/trace-types.js';

let seq = 0;
function msg(m: Partial<TraceMessage>): TraceMessage {
  return { seq: ++seq, time: 1_700_000_000_000 + seq, direction: 'in', flowId: 'flow-a', transport: 'ws', peer: 'ws', aor: 'sip:alice@example.test', callId: 'c1', cseq: '1 INVITE', text: '', ...m };
}

describe('ladder', () => {
  it('a call through the proxy: caller, service, callee; requests and responses between them', () => {
    seq = 0;
    const invIn = msg({ method: 'INVITE' });
    const invOut = msg({ method: 'INVITE', direction: 'out', flowId: 'flow-b', aor: 'sip:bob@example.test', peer: '192.0.2.7:5060', transport: 'udp' });
    const ringIn = msg({ status: 180, reason: 'Ringing', flowId: 'flow-b', aor: 'sip:bob@example.test', peer: '192.0.2.7:5060', transport: 'udp' });
    const ringOut = msg({ status: 180, reason: 'Ringing', direction: 'out' });
    const { columns, arrows } = ladder([ringOut, invOut, ringIn, invIn]);
    expect(columns.map((c) => c.key)).toEqual(['flow-a', SERVICE, 'flow-b']);
    expect(columns.map((c) => c.label)).toEqual(['alice', 'edge-sip', 'bob 192.0.2.7:5060']);
    expect(columns[2]!.sub).toBe('udp · flow flow-b');
    expect(arrows.map((a) => [a.label, a.from, a.to, a.response])).toEqual([
      ['INVITE', 0, 1, false], ['INVITE', 1, 2, false], ['180 Ringing', 2, 1, true], ['180 Ringing', 1, 0, true],
    ]);
  });

  it('a request the service sends first puts the service leftmost', () => {
    seq = 0;
    const { columns, arrows } = ladder([msg({ method: 'MESSAGE', direction: 'out' }), msg({ status: 200, reason: 'OK' })]);
    expect(columns.map((c) => c.key)).toEqual([SERVICE, 'flow-a']);
    expect(arrows.map((a) => [a.label, a.from, a.to])).toEqual([['MESSAGE', 0, 1], ['200 OK', 1, 0]]);
  });

  it('no flow ID: the peer address names the column; no messages, no columns', () => {
    seq = 0;
    expect(ladder([msg({ flowId: '', peer: '198.51.100.1:5060', method: 'OPTIONS' })]).columns.map((c) => c.key)).toEqual(['198.51.100.1:5060', SERVICE]);
    expect(ladder([])).toEqual({ columns: [], arrows: [] });
  });

  it('names each flow after the party at its far end, from the message text (the traced AOR otherwise)', () => {
    seq = 0;
    const text = (first: string) => `${first}\r\nVia: SIP/2.0/WS x.invalid\r\nf: <sip:erin@example.test>;tag=1\r\nTo: <sip:dave@example.test>\r\n\r\nTo: <sip:body@x>`;
    const aor = 'sip:dave@example.test';
    expect(endpointOf(msg({ aor, method: 'MESSAGE', direction: 'in', text: text('MESSAGE sip:dave@example.test SIP/2.0') }))).toBe('erin');
    expect(endpointOf(msg({ aor, method: 'MESSAGE', direction: 'out', text: text('MESSAGE sip:abc@x.invalid SIP/2.0') }))).toBe('dave');
    expect(endpointOf(msg({ aor, status: 200, direction: 'in', text: text('SIP/2.0 200 OK') }))).toBe('dave');
    expect(endpointOf(msg({ aor, status: 200, direction: 'out', text: text('SIP/2.0 200 OK') }))).toBe('erin');
    expect(endpointOf(msg({ aor, method: 'OPTIONS', text: 'OPTIONS sip:x SIP/2.0\r\n\r\n' }))).toBe('dave');
    expect(header(text('SIP/2.0 200 OK'), 'to', 't')).toBe('<sip:dave@example.test>');
  });
});
