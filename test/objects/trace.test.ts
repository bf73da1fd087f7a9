/**
 * Live SIP traces inside workerd: a trace armed at an AOR reaches the flows of its bindings, every message to
 * or from the traced user appears on every flow it crosses (the caller's and the callee's), other users'
 * messages never do, credentials are masked, and the trace is bounded (rate cap, ring, expiry, DELETE).
 * An untraced message costs no RPC more than before.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/parse.js';
import type { SipRequest } from '../../src/sip/message.js';
import type { TraceMessage } from '../../src/trace/record.js';
import type { SipTestClient } from '../support/sip-client.js';
import { api, connect, cost, createUser, DOMAIN, eventually } from './helpers.js';

interface TraceView { id: string; until: number; active: boolean; dropped: number; targets: string[]; messages: TraceMessage[] }

async function startTrace(body: unknown): Promise<{ id: string; until: number; targets: string[] }> {
  const res = await api('/traces', { method: 'POST', json: body });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

async function messages(id: string, after = 0): Promise<TraceView> {
  const res = await api(`/traces/${id}/messages?after=${after}`);
  expect(res.status).toBe(200);
  return res.json();
}

/** The trace's messages once `n` have arrived (flows send them after the event, without waiting). */
async function atLeast(id: string, n: number): Promise<TraceView> {
  return eventually(() => messages(id), (v) => v.messages.length >= n, 5_000);
}

async function registered(user: string, contact = user): Promise<SipTestClient> {
  const c = await connect();
  const res = await c.register({ user, password: `${user}-pw`, domain: DOMAIN, callId: `reg-${contact}`, cseq: 1, contacts: [`<sip:${contact}@${contact}.invalid;transport=ws>`], expires: 600 });
  expect(res.status).toBe(200);
  return c;
}

function message(from: string, to: string, callId: string, body = 'hello'): string {
  return [`MESSAGE sip:${to}@${DOMAIN} SIP/2.0`, `Via: SIP/2.0/WS ${from}.invalid;branch=z9hG4bK${callId}`, 'Max-Forwards: 70',
    `From: <sip:${from}@${DOMAIN}>;tag=f${callId}`, `To: <sip:${to}@${DOMAIN}>`, `Call-ID: ${callId}`, 'CSeq: 1 MESSAGE',
    'Content-Type: text/plain', `Content-Length: ${body.length}`, '', body].join('\r\n');
}

/** `from` sends `to` a MESSAGE, and `to`'s UA answers 200; resolves with the status `from` got. */
async function exchange(from: SipTestClient, fromUser: string, to: SipTestClient, toUser: string, callId: string): Promise<number> {
  from.send(message(fromUser, toUser, callId));
  const p = parseMessage(await to.next());
  if (!p.ok || p.value.type !== 'request') throw new Error('expected the MESSAGE');
  const req = p.value as SipRequest;
  to.send([`SIP/2.0 200 OK`, ...req.headers.values('via').map((v) => `Via: ${v}`), `From: ${req.headers.get('from')}`, `To: ${req.headers.get('to')};tag=t${callId}`,
    `Call-ID: ${callId}`, `CSeq: ${req.headers.get('cseq')}`, 'Content-Length: 0', '', ''].join('\r\n'));
  return (await from.response()).status;
}

const line = (m: TraceMessage) => `${m.direction} ${m.method ?? m.status} ${m.aor} ${m.callId}`;

describe('a live trace', () => {
  it('is armed at the AOR and its flows, and shows a MESSAGE to the traced user on both legs, in and out', async () => {
    for (const u of ['tra', 'trb']) await createUser(u, `${u}-pw`);
    const a = await registered('tra');
    const b = await registered('trb');
    const t = await startTrace({ users: ['trb'] });
    expect(t.targets).toEqual([`sip:trb@${DOMAIN}`]);
    expect(t.until).toBeGreaterThan(Date.now() + 590_000);
    expect((await (await api('/traces')).json() as { traces: Array<{ id: string }> }).traces.map((x) => x.id)).toContain(t.id);

    expect(await exchange(a, 'tra', b, 'trb', 'trace-msg-1')).toBe(200);
    const view = await atLeast(t.id, 4);
    expect(view.active).toBe(true);
    expect(view.dropped).toBe(0);
    const legs = view.messages.filter((m) => m.callId === 'trace-msg-1');
    // Alice's flow: the MESSAGE in, the 200 out; Bob's flow: the MESSAGE out, the 200 in.
    expect(legs.map(line).sort()).toEqual([
      'in 200 sip:trb@edge-sip.test trace-msg-1', 'in MESSAGE sip:trb@edge-sip.test trace-msg-1',
      'out 200 sip:trb@edge-sip.test trace-msg-1', 'out MESSAGE sip:trb@edge-sip.test trace-msg-1',
    ]);
    const flows = new Set(legs.map((m) => m.flowId));
    expect(flows.size).toBe(2);
    const aliceFlow = legs.find((m) => m.direction === 'in' && m.method === 'MESSAGE')!.flowId;
    expect(legs.find((m) => m.direction === 'out' && m.status === 200)!.flowId).toBe(aliceFlow);
    expect(legs.every((m) => m.transport === 'ws' && m.cseq === '1 MESSAGE' && m.text.includes('Call-ID: trace-msg-1'))).toBe(true);
    expect(legs.map((m) => m.seq)).toEqual([...legs.map((m) => m.seq)].sort((x, y) => x - y));

    // The download: the same messages as text.
    const txt = await api(`/traces/${t.id}/messages.txt`);
    expect(txt.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await txt.text();
    expect(text.match(/^#\d+ .* Call-ID: trace-msg-1$/gm)).toHaveLength(4);
    expect(text).toContain('MESSAGE sip:trb@edge-sip.test SIP/2.0');
    a.close();
    b.close();
  });

  it('follows a call to the traced user through its dialog: INVITE, answers, ACK and BYE on both flows', async () => {
    for (const u of ['trk', 'trl']) await createUser(u, `${u}-pw`);
    const k = await registered('trk');
    const l = await registered('trl');
    const t = await startTrace({ users: ['trl'] });
    const sdp = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
    k.send([`INVITE sip:trl@${DOMAIN} SIP/2.0`, 'Via: SIP/2.0/WS trk.invalid;branch=z9hG4bKcall1', 'Max-Forwards: 70', `From: <sip:trk@${DOMAIN}>;tag=fk`,
      `To: <sip:trl@${DOMAIN}>`, 'Call-ID: trace-call-1', 'CSeq: 1 INVITE', 'Contact: <sip:trk@trk.invalid;transport=ws>', 'Content-Type: application/sdp',
      `Content-Length: ${sdp.length}`, '', sdp].join('\r\n'));
    expect((await k.response()).status).toBe(100);
    const p = parseMessage(await l.next());
    if (!p.ok || p.value.type !== 'request') throw new Error('expected the INVITE');
    const inv = p.value;
    const answer = (status: number, reason: string) => [`SIP/2.0 ${status} ${reason}`, ...inv.headers.values('via').map((v) => `Via: ${v}`),
      ...inv.headers.values('record-route').map((r) => `Record-Route: ${r}`), `From: ${inv.headers.get('from')}`, `To: ${inv.headers.get('to')};tag=tl`,
      'Call-ID: trace-call-1', 'CSeq: 1 INVITE', 'Contact: <sip:trl@trl.invalid;transport=ws>', 'Content-Length: 0', '', ''].join('\r\n');
    l.send(answer(180, 'Ringing'));
    expect((await k.response()).status).toBe(180);
    l.send(answer(200, 'OK'));
    const ok = await k.response();
    expect(ok.status).toBe(200);
    const routes = ok.headers.values('record-route').reverse().map((r) => `Route: ${r}`);
    const inDialog = (method: string, cseq: number) => [`${method} sip:trl@trl.invalid;transport=ws SIP/2.0`, `Via: SIP/2.0/WS trk.invalid;branch=z9hG4bK${method}${cseq}`,
      'Max-Forwards: 70', `From: <sip:trk@${DOMAIN}>;tag=fk`, `To: <sip:trl@${DOMAIN}>;tag=tl`, 'Call-ID: trace-call-1', `CSeq: ${cseq} ${method}`, ...routes, 'Content-Length: 0', '', ''].join('\r\n');
    k.send(inDialog('ACK', 1));
    expect(parseMessage(await l.next()).ok).toBe(true);
    k.send(inDialog('BYE', 2));
    const bye = parseMessage(await l.next());
    if (!bye.ok || bye.value.type !== 'request') throw new Error('expected the BYE');
    l.send([`SIP/2.0 200 OK`, ...bye.value.headers.values('via').map((v) => `Via: ${v}`), `From: ${bye.value.headers.get('from')}`, `To: ${bye.value.headers.get('to')}`,
      'Call-ID: trace-call-1', 'CSeq: 2 BYE', 'Content-Length: 0', '', ''].join('\r\n'));
    expect((await k.response()).status).toBe(200);
    const view = await atLeast(t.id, 13);
    const callerFlow = view.messages.find((m) => m.method === 'INVITE' && m.direction === 'in')!.flowId;
    const on = (mine: boolean) => view.messages.filter((m) => (m.flowId === callerFlow) === mine).map((m) => `${m.direction} ${m.method ?? m.status}`);
    expect(on(true)).toEqual(['in INVITE', 'out 100', 'out 180', 'out 200', 'in ACK', 'in BYE', 'out 200']);
    expect(on(false)).toEqual(['out INVITE', 'in 180', 'in 200', 'out ACK', 'out BYE', 'in 200']);
    k.close();
    l.close();
  });

  it('shows nothing of users it does not trace', async () => {
    for (const u of ['trc', 'trd', 'tre']) await createUser(u, `${u}-pw`);
    const c = await registered('trc');
    const d = await registered('trd');
    const e = await registered('tre');
    const t = await startTrace({ users: ['tre'] });
    expect(await exchange(c, 'trc', d, 'trd', 'untraced-1')).toBe(200);
    expect(await exchange(c, 'trc', e, 'tre', 'traced-after')).toBe(200);
    const view = await atLeast(t.id, 4);
    expect(view.messages.map((m) => m.callId)).not.toContain('untraced-1');
    // The caller's flow traced only the traced user's Call-ID (and forgets nothing of its own otherwise).
    expect(view.messages.every((m) => m.callId === 'traced-after')).toBe(true);
    for (const x of [c, d, e]) x.close();
  });

  it('traces a flow that registers while it is on, and masks Authorization', async () => {
    await createUser('trf', 'trf-pw');
    const t = await startTrace({ users: [`sip:trf@${DOMAIN}`] });
    const f = await registered('trf', 'trf-late');
    const view = await atLeast(t.id, 2);
    const reg = view.messages.find((m) => m.method === 'REGISTER')!;
    expect(reg.direction).toBe('in');
    expect(reg.text).toMatch(/^Authorization: \*\*\*$/m);
    expect(reg.text).not.toMatch(/response=|nonce=|username=/);
    expect(view.messages.find((m) => m.status === 200)!.direction).toBe('out');
    f.close();
  });

  it('ends at its time everywhere: nothing more is kept, and it is no longer listed', async () => {
    for (const u of ['trg', 'trh']) await createUser(u, `${u}-pw`);
    const g = await registered('trg');
    const h = await registered('trh');
    const t = await startTrace({ users: ['trh'], seconds: 1 });
    await eventually(() => Date.now(), (now) => now > t.until + 50, 3_000, 100);
    expect(await exchange(g, 'trg', h, 'trh', 'after-expiry')).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const view = await messages(t.id);
    expect(view.active).toBe(false);
    expect(view.messages).toEqual([]);
    expect((await (await api('/traces')).json() as { traces: Array<{ id: string }> }).traces.map((x) => x.id)).not.toContain(t.id);
    g.close();
    h.close();
  });

  it('stops on DELETE: not listed, inactive, nothing more recorded; an unknown trace is 404', async () => {
    for (const u of ['tri', 'trj']) await createUser(u, `${u}-pw`);
    const i = await registered('tri');
    const j = await registered('trj');
    const t = await startTrace({ users: ['trj'] });
    expect(await exchange(i, 'tri', j, 'trj', 'before-delete')).toBe(200);
    await atLeast(t.id, 4);
    expect((await api(`/traces/${t.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await exchange(i, 'tri', j, 'trj', 'after-delete')).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const view = await messages(t.id);
    expect(view.active).toBe(false);
    expect(view.messages.map((m) => m.callId)).not.toContain('after-delete');
    expect(view.messages.filter((m) => m.callId === 'before-delete')).toHaveLength(4);
    expect((await (await api('/traces')).json() as { traces: Array<{ id: string }> }).traces.map((x) => x.id)).not.toContain(t.id);
    expect((await api('/traces/0123456789abcdef', { method: 'DELETE' })).status).toBe(404);
    expect((await api('/traces/0123456789abcdef/messages')).status).toBe(404);
    i.close();
    j.close();
  });

  it('traces a GB device by its ID, as the AOR in the GB realm', async () => {
    const t = await startTrace({ gbDevice: '34020000001320000001', seconds: 60 });
    expect(t.targets).toEqual(['sip:34020000001320000001@3402000000']);
  });
});

const rpcs = (d: Record<string, number>) => Object.entries(d).filter(([k]) => k.startsWith('ledger_requests_total') && !k.includes('TraceObject')).sort();
const traceUnits = (d: Record<string, number>) => Object.keys(d).filter((k) => k.includes('TraceObject') || k.includes('Trace'));

describe('what a trace costs', () => {
  it('nothing when nobody traces; when on, only the calls to the trace object, at most one per message', async () => {
    for (const u of ['tca', 'tcb']) await createUser(u, `${u}-pw`);
    const a = await registered('tca');
    const b = await registered('tcb');
    const untraced = await cost(async () => void expect(await exchange(a, 'tca', b, 'tcb', 'cost-untraced')).toBe(200));
    expect(traceUnits(untraced)).toEqual([]);
    const t = await startTrace({ users: ['tcb'] });
    const traced = await cost(async () => {
      expect(await exchange(a, 'tca', b, 'tcb', 'cost-traced')).toBe(200);
      await atLeast(t.id, 4);
    });
    // The SIP path makes the same calls as untraced; the four messages reach the trace's object in 1 to 4 batches.
    expect(rpcs(traced)).toEqual(rpcs(untraced));
    const appends = traced['ledger_requests_total{class="TraceObject",kind="rpc",method="append"}'] ?? 0;
    expect(appends).toBeGreaterThanOrEqual(1);
    expect(appends).toBeLessThanOrEqual(4);
    a.close();
    b.close();
  });
});

describe('the bounds of a trace', () => {
  const record = (n: number): Omit<TraceMessage, 'seq'> => ({ time: n, direction: 'in', flowId: 'f', transport: 'ws', peer: 'ws', aor: 'sip:x@edge-sip.test', method: 'MESSAGE', callId: `c${n}`, cseq: '1 MESSAGE', text: `m${n}` });
  const stub = (id: string) => env.TRACE.get(env.TRACE.idFromName(`trace:${id}`));

  it('caps the rate: past the burst, messages are counted as dropped, with what the flows could not send', async () => {
    const s = stub('rate-cap');
    await s.start({ id: 'rate-cap', targets: ['sip:x@edge-sip.test'], until: Date.now() + 60_000, limits: { rate: 1, burst: 5, ring: 1000 } });
    expect(await s.append({ records: Array.from({ length: 20 }, (_, n) => record(n)), dropped: 3 })).toEqual({ accepted: 5, active: true });
    const view = (await s.read(0))!;
    expect(view.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(view.dropped).toBe(15 + 3);
  });

  it('keeps a ring of the last N messages', async () => {
    const s = stub('ring');
    await s.start({ id: 'ring', targets: ['sip:x@edge-sip.test'], until: Date.now() + 60_000, limits: { rate: 1, burst: 1000, ring: 10 } });
    for (let k = 0; k < 5; k++) await s.append({ records: Array.from({ length: 5 }, (_, n) => record(5 * k + n)), dropped: 0 });
    const view = (await s.read(0))!;
    expect(view.messages.map((m) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(view.messages.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, n) => `m${15 + n}`));
    expect((await s.read(23))!.messages.map((m) => m.seq)).toEqual([24, 25]);
  });

  it('answers a flow whose trace ended that it is inactive, so the flow drops its marks', async () => {
    const s = stub('ended');
    await s.start({ id: 'ended', targets: [], until: Date.now() + 60_000, limits: { rate: 10, burst: 10, ring: 10 } });
    await s.stop();
    expect(await s.append({ records: [record(1)], dropped: 0 })).toEqual({ accepted: 0, active: false });
    expect(await stub('never-started').append({ records: [record(1)], dropped: 0 })).toEqual({ accepted: 0, active: false });
  });
});
