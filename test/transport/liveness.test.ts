/**
 * The liveness contract between the Worker and the udp-bridge: control frames, and what a close means.
 */
import { describe, expect, it } from 'vitest';
import { CLOSE_KEEPALIVE_TIMEOUT, closeEffect, CONNECTION_CLOSED_CLOSE_CODE, KEEPALIVE_TIMEOUT_REASON, isControlFrame, LIVENESS_CLOSE_CODE, livenessFrame, parseControlFrame } from '../../src/transport/liveness.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('control frames', () => {
  it('are text frames starting with {; SIP, keep-alives and binary frames are not', () => {
    expect(isControlFrame(bytes('{"type":"liveness","timeoutMs":1000}'), false)).toBe(true);
    expect(isControlFrame(bytes('{"type":"liveness","timeoutMs":1000}'), true)).toBe(false);
    expect(isControlFrame(bytes('SIP/2.0 200 OK\r\n\r\n'), false)).toBe(false);
    expect(isControlFrame(bytes('\r\n'), false)).toBe(false);
    expect(isControlFrame(bytes(''), false)).toBe(false);
  });

  it('parse a liveness limit; null and 0 mean no limit', () => {
    expect(parseControlFrame('{"type":"liveness","timeoutMs":180000}')).toEqual({ ok: true, frame: { type: 'liveness', timeoutMs: 180_000 } });
    expect(parseControlFrame('{"type":"liveness","timeoutMs":null}')).toEqual({ ok: true, frame: { type: 'liveness', timeoutMs: null } });
    expect(parseControlFrame('{"type":"liveness","timeoutMs":0}')).toEqual({ ok: true, frame: { type: 'liveness', timeoutMs: null } });
  });

  it('tell an unknown type from a malformed frame, and never throw', () => {
    expect(parseControlFrame('{"type":"drain"}')).toEqual({ ok: false, error: 'unknown_type', type: 'drain' });
    for (const text of ['{', '{"type":', '{} trailing', '[1]', 'null', '{}', '{"type":7}', '{"type":"liveness"}', '{"type":"liveness","timeoutMs":-1}', '{"type":"liveness","timeoutMs":1.5}', '{"type":"liveness","timeoutMs":"60000"}', '{"type":"liveness","timeoutMs":1e300}']) {
      expect(parseControlFrame(text), text).toMatchObject({ ok: false, error: 'malformed' });
    }
  });

  it('round-trip through livenessFrame, the form the Worker sends', () => {
    expect(livenessFrame(90_000)).toBe('{"type":"liveness","timeoutMs":90000}');
    expect(parseControlFrame(livenessFrame(90_000))).toEqual({ ok: true, frame: { type: 'liveness', timeoutMs: 90_000 } });
    expect(parseControlFrame(livenessFrame(0))).toEqual({ ok: true, frame: { type: 'liveness', timeoutMs: null } });
    expect(isControlFrame(bytes(livenessFrame(null)), false)).toBe(true);
  });

  it('close a silent flow with the private-use code 4000 and a fixed reason', () => {
    expect(CLOSE_KEEPALIVE_TIMEOUT).toBe(4000);
    expect(KEEPALIVE_TIMEOUT_REASON).toBe('keepalive timeout');
  });
});

describe('closeEffect', () => {
  it('unbinds a WebSocket flow, marks a bridged one silent on 4000, and watches a bridged flow that carried a limit', () => {
    expect(LIVENESS_CLOSE_CODE).toBe(CLOSE_KEEPALIVE_TIMEOUT);
    expect(closeEffect('WS', 1000, null, false)).toBe('unbind');
    expect(closeEffect('WSS', LIVENESS_CLOSE_CODE, 180_000, false)).toBe('unbind');
    expect(closeEffect('UDP', LIVENESS_CLOSE_CODE, 180_000, false)).toBe('silent');
    expect(closeEffect('UDP', 1006, 180_000, false)).toBe('watch');
    expect(closeEffect('UDP', 1000, 180_000, true)).toBe('none'); // replaced by the bridge's new connection
    expect(closeEffect('UDP', 1006, null, false)).toBe('none'); // a SIP phone: its bindings outlive the socket
  });

  it('unbinds a bridged TCP flow whose connection ended (4001); otherwise a TCP flow is a bridged flow like UDP', () => {
    expect(CONNECTION_CLOSED_CLOSE_CODE).toBe(4001);
    expect(closeEffect('TCP', CONNECTION_CLOSED_CLOSE_CODE, 180_000, false)).toBe('unbind');
    expect(closeEffect('TCP', CONNECTION_CLOSED_CLOSE_CODE, null, false)).toBe('unbind'); // a TCP phone too
    expect(closeEffect('UDP', CONNECTION_CLOSED_CLOSE_CODE, null, false)).toBe('none'); // UDP has no connection to end
    expect(closeEffect('TCP', LIVENESS_CLOSE_CODE, 180_000, false)).toBe('silent');
    expect(closeEffect('TCP', 1006, 180_000, false)).toBe('watch'); // the bridge lost the Worker, not the device
    expect(closeEffect('TCP', 1006, null, false)).toBe('none');
  });
});
