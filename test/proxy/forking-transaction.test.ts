/**
 * The proxy's forking client transaction (RFC 3261 §16.7), on its own.
 */
import { describe, expect, it } from 'vitest';
import { SipHeaders, type SipRequest, type SipResponse } from '../../src/sip/message.js';
import { ForkingTransaction } from '../../src/proxy/forking-transaction.js';

function req(method: string, branch: string): SipRequest {
  return {
    type: 'request', method, uri: 'sip:x@y.invalid', version: 'SIP/2.0', body: new Uint8Array(0),
    headers: SipHeaders.from([['Via', `SIP/2.0/WS edge-sip.test;branch=${branch}`], ['From', '<sip:a@b>;tag=1'], ['To', '<sip:x@b>'], ['Call-ID', 'c'], ['CSeq', `1 ${method}`]]),
  };
}

function res(status: number): SipResponse {
  return { type: 'response', status, reason: String(status), version: 'SIP/2.0', headers: SipHeaders.from([['To', '<sip:x@b>;tag=9']]), body: new Uint8Array(0) };
}

function harness(method: string, timeoutMs = 1000, flowGone?: () => SipResponse) {
  const upstream: number[] = [];
  const delivered: Array<[string, string]> = [];
  const timers: Array<() => void> = [];
  let done = false;
  const tx = new ForkingTransaction(method, {
    deliver: async (flowId, msg) => {
      delivered.push([flowId, msg.method]);
      return flowId !== 'gone';
    },
    respond: (r) => upstream.push(r.status),
    localResponse: (status) => res(status),
    setTimer: (_ms, fn) => timers.push(fn),
    clearTimer: () => undefined,
    done: () => (done = true),
    ...(flowGone ? { flowGone } : {}),
  }, timeoutMs);
  return { tx, upstream, delivered, fireTimers: () => timers.splice(0).forEach((f) => f()), isDone: () => done };
}

describe('ForkingTransaction', () => {
  it('forwards provisionals other than 100, the first 2xx at once, and cancels the ringing branches', async () => {
    const h = harness('INVITE');
    await h.tx.start([{ id: 'b1', flowId: 'f1', request: req('INVITE', 'b1') }, { id: 'b2', flowId: 'f2', request: req('INVITE', 'b2') }]);
    h.tx.onResponse('b1', res(100));
    h.tx.onResponse('b1', res(180));
    h.tx.onResponse('b2', res(180));
    h.tx.onResponse('b1', res(200));
    expect(h.upstream).toEqual([180, 180, 200]);
    expect(h.delivered).toContainEqual(['f2', 'CANCEL']);
    h.tx.onResponse('b2', res(487));
    expect(h.upstream).toEqual([180, 180, 200]);
    expect(h.delivered).toContainEqual(['f2', 'ACK']);
  });

  it('answers with the best final response once every branch is done: 6xx first, else the lowest class', async () => {
    const h = harness('INVITE');
    await h.tx.start([{ id: 'b1', flowId: 'f1', request: req('INVITE', 'b1') }, { id: 'b2', flowId: 'f2', request: req('INVITE', 'b2') }]);
    h.tx.onResponse('b1', res(486));
    expect(h.upstream).toEqual([]);
    h.tx.onResponse('b2', res(503));
    expect(h.upstream).toEqual([486]);
    const six = harness('INVITE');
    await six.tx.start([{ id: 'b1', flowId: 'f1', request: req('INVITE', 'b1') }, { id: 'b2', flowId: 'f2', request: req('INVITE', 'b2') }]);
    six.tx.onResponse('b1', res(404));
    six.tx.onResponse('b2', res(603));
    expect(six.upstream).toEqual([603]);
  });

  it('turns a lone 503 into 500 (RFC 3261 §16.7 step 6)', async () => {
    const h = harness('MESSAGE');
    await h.tx.start([{ id: 'b1', flowId: 'f1', request: req('MESSAGE', 'b1') }]);
    h.tx.onResponse('b1', res(503));
    expect(h.upstream).toEqual([500]);
  });

  it('answers 480 for a branch whose connection is gone, and 408 when branches stay silent', async () => {
    const gone = harness('MESSAGE');
    await gone.tx.start([{ id: 'b1', flowId: 'gone', request: req('MESSAGE', 'b1') }]);
    expect(gone.upstream).toEqual([480]);
    const silent = harness('MESSAGE');
    await silent.tx.start([{ id: 'b1', flowId: 'f1', request: req('MESSAGE', 'b1') }]);
    silent.fireTimers();
    expect(silent.upstream).toEqual([408]);
  });

  it('answers with the host\'s flowGone response instead, when it has one (430 in a dialog)', async () => {
    const h = harness('BYE', 1000, () => res(430));
    await h.tx.start([{ id: 'b1', flowId: 'gone', request: req('BYE', 'b1') }]);
    expect(h.upstream).toEqual([430]);
  });

  it('on CANCEL ends branches that never answered with 487 and cancels ringing ones', async () => {
    const h = harness('INVITE');
    await h.tx.start([{ id: 'b1', flowId: 'f1', request: req('INVITE', 'b1') }, { id: 'b2', flowId: 'f2', request: req('INVITE', 'b2') }]);
    h.tx.onResponse('b1', res(180));
    h.tx.cancel();
    expect(h.delivered).toContainEqual(['f1', 'CANCEL']);
    expect(h.delivered).not.toContainEqual(['f2', 'CANCEL']);
    h.tx.onResponse('b1', res(487));
    expect(h.upstream).toEqual([180, 487]);
  });
});
