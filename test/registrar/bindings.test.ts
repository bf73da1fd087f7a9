/**
 * Which binding changes are written: refreshes are written behind, within half the expiry grace.
 */
import { describe, expect, it } from 'vitest';
import { applyRegister, type RegisterRequest } from '../../src/registrar/register.js';
import { EXPIRY_GRACE_MS, isLive, needsWrite, REFRESH_WRITE_SLACK_MS, type Binding } from '../../src/registrar/bindings.js';

const policy = { minExpires: 60, maxExpires: 7200, defaultExpires: 3600, maxBindings: 3 };
const T0 = 1_700_000_000_000;

function req(over: Partial<RegisterRequest> = {}): RegisterRequest {
  return {
    contacts: ['<sip:a@a.invalid;transport=ws>'], expires: '600', callId: 'call-1', cseq: 1, flowId: 'flow-1',
    address: { transport: 'WS', host: 'edge-sip.test' }, source: '192.0.2.1', path: [], userAgent: 'test', ...over,
  };
}

function bind(r: RegisterRequest, now: number, current: Binding[] = []): Binding {
  const res = applyRegister(current, r, policy, now);
  if (!res.ok) throw res.error;
  return res.value.bindings[0]!;
}

describe('needsWrite', () => {
  const stored = bind(req(), T0);

  it('writes a new binding', () => {
    expect(needsWrite(undefined, stored)).toBe(true);
  });

  it('skips a refresh that moves the expiry later by less than the slack', () => {
    const refreshed = bind(req({ cseq: 2 }), T0 + REFRESH_WRITE_SLACK_MS - 1, [stored]);
    expect(refreshed.cseq).toBe(2);
    expect(needsWrite(stored, refreshed)).toBe(false);
  });

  it('writes once the expiry has moved by the slack', () => {
    expect(needsWrite(stored, bind(req({ cseq: 2 }), T0 + REFRESH_WRITE_SLACK_MS, [stored]))).toBe(true);
  });

  it('keeps an unwritten refresh live to its real end after an eviction (stored row plus grace)', () => {
    const refreshed = bind(req({ cseq: 2 }), T0 + REFRESH_WRITE_SLACK_MS - 1, [stored]);
    expect(needsWrite(stored, refreshed)).toBe(false);
    expect(isLive(stored, refreshed.expiresAt + EXPIRY_GRACE_MS - REFRESH_WRITE_SLACK_MS)).toBe(true);
  });

  it('skips a quick re-registration with a new Call-ID (a rebooted device): reachability did not change', () => {
    const again = bind(req({ callId: 'call-2', cseq: 1 }), T0 + 1, [stored]);
    expect(again.callId).toBe('call-2');
    expect(needsWrite(stored, again)).toBe(false);
  });

  it('writes a shorter expiry at once', () => {
    expect(needsWrite(stored, bind(req({ cseq: 2, expires: '300' }), T0 + 1, [stored]))).toBe(true);
  });

  it.each<[string, Partial<RegisterRequest>]>([
    ['another flow', { flowId: 'flow-2' }],
    ['another source', { source: '192.0.2.9' }],
    ['another user agent', { userAgent: 'other' }],
    ['a Path', { path: ['<sip:edge.invalid;lr>'] }],
    ['another transport address', { address: { transport: 'UDP', host: 'bridge.invalid:5060' } }],
    ['a q value', { contacts: ['<sip:a@a.invalid;transport=ws>;q=0.5'] }],
  ])('writes a refresh with %s', (_what, over) => {
    expect(needsWrite(stored, bind(req({ cseq: 2, ...over }), T0 + 1, [stored]))).toBe(true);
  });
});
