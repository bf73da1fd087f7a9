/**
 * RFC 3261 §16.3 request validation, step by step.
 */
import { describe, expect, it } from 'vitest';
import { SipError } from '../../src/sip/errors.js';
import type { SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parse.js';
import { validateRequest, type RequestEssentials } from '../../src/sip/validate.js';
import { loopHash, makeBranch } from '../../src/proxy/branch.js';
import { checkExtensions, checkProxyRequest } from '../../src/proxy/request-checks.js';

function request(method: string, extra: string[] = [], uri = 'sip:bob@edge-sip.test', maxForwards = 70): { req: SipRequest; ess: RequestEssentials } {
  const text = [`${method} ${uri} SIP/2.0`, 'Via: SIP/2.0/WS a.invalid;branch=z9hG4bKrc1', `Max-Forwards: ${maxForwards}`, 'From: <sip:ann@edge-sip.test>;tag=1',
    'To: <sip:bob@edge-sip.test>', 'Call-ID: rc1', `CSeq: 1 ${method}`, ...extra, 'Content-Length: 0', '', ''].join('\r\n');
  const p = parseMessage(text);
  if (!p.ok || p.value.type !== 'request') throw new Error('not a request');
  const v = validateRequest(p.value);
  if (!v.ok) throw v.error;
  return { req: p.value, ess: v.value };
}

const status = (fn: () => unknown): number | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof SipError ? e.status : -1;
  }
};

describe('checkExtensions (steps 2 and 5)', () => {
  it('refuses a Request-URI scheme other than sip and sips with 416', () => {
    const { req, ess } = request('INVITE', [], 'tel:+15551234567');
    expect(status(() => checkExtensions(req, ess))).toBe(416);
  });

  it('refuses any Proxy-Require option with 420 naming it in Unsupported', () => {
    const { req, ess } = request('INVITE', ['Proxy-Require: foo']);
    try {
      checkExtensions(req, ess);
      expect.unreachable();
    } catch (e) {
      expect((e as SipError).status).toBe(420);
      expect((e as SipError).headers).toEqual([['Unsupported', 'foo']]);
    }
  });

  it('accepts Require: path and outbound as the registrar, refuses others, and leaves Require of relayed requests to the callee', () => {
    expect(status(() => { const r = request('REGISTER', ['Require: path, outbound']); checkExtensions(r.req, r.ess); })).toBeNull();
    expect(status(() => { const r = request('REGISTER', ['Require: 100rel']); checkExtensions(r.req, r.ess); })).toBe(420);
    expect(status(() => { const r = request('INVITE', ['Require: 100rel']); checkExtensions(r.req, r.ess); })).toBeNull();
  });

  it('lets ACK and CANCEL through whatever they name (they cannot be refused)', () => {
    expect(status(() => { const r = request('ACK', ['Proxy-Require: foo']); checkExtensions(r.req, r.ess); })).toBeNull();
  });
});

describe('checkProxyRequest (steps 3 and 4)', () => {
  it('answers 483 at Max-Forwards 0 and otherwise returns the loop hash', () => {
    const zero = request('INVITE', [], 'sip:bob@edge-sip.test', 0);
    expect(status(() => checkProxyRequest(zero.req, zero.ess))).toBe(483);
    const ok = request('INVITE');
    expect(checkProxyRequest(ok.req, ok.ess)).toBe(loopHash(ok.req, ok.ess));
  });

  it('answers 482 when one of our own Via branches already carries the same request', () => {
    const first = request('INVITE');
    const ours = makeBranch({ origin: 'flow', objectId: 'ab'.repeat(32), loop: loopHash(first.req, first.ess), tx: 'kz0' });
    const looped = request('INVITE', [`Via: SIP/2.0/WS edge-sip.test;branch=${ours}`]);
    expect(status(() => checkProxyRequest(looped.req, looped.ess))).toBe(482);
  });
});
