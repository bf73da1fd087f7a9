/**
 * Online and offline rules of a GB/T 28181 device.
 */
import { describe, expect, it } from 'vitest';
import { expire, keepalive, livenessTimeoutMs, newDevice, offlineDeadline, registered, silent, unregistered } from '../../src/gb28181/device.js';

const policy = { intervalSeconds: 60, misses: 3 };
const T0 = 1_700_000_000_000;
const reg = (now: number) => registered(newDevice('34020000001320000001'), { now, expiresAt: now + 3_600_000, source: '203.0.113.7:40122', transport: 'UDP', userAgent: 'IP Camera', gbVersion: '2.0' });

describe('device state', () => {
  it('is online after REGISTER until its registration ends', () => {
    const s = reg(T0);
    expect(s.online).toBe(true);
    expect(offlineDeadline(s)).toBe(T0 + 3_600_000);
    expect(expire(s, T0 + 3_599_999).online).toBe(true);
    expect(expire(s, T0 + 3_600_000)).toMatchObject({ online: false, offlineReason: 'registration expired' });
  });

  it('is offline after the missed keepalives\' worth of silence, noticed where the datagrams are seen', () => {
    expect(livenessTimeoutMs(policy)).toBe(180_000);
    expect(silent(reg(T0), 'keepalive timeout')).toMatchObject({ online: false, offlineReason: 'keepalive timeout' });
    expect(silent(reg(T0), 'connection closed')).toMatchObject({ online: false, offlineReason: 'connection closed' });
    expect(offlineDeadline(silent(reg(T0), 'keepalive timeout'))).toBeNull();
  });

  it('comes back online with a keepalive while its registration is still valid', () => {
    const off = silent(reg(T0), 'keepalive timeout');
    expect(keepalive(off, T0 + 210_000)).toMatchObject({ online: true, offlineReason: null, lastKeepaliveAt: T0 + 210_000 });
    expect(keepalive(off, T0 + 3_600_000).online).toBe(false);
  });

  it('goes offline at once on unregistration, and a keepalive does not bring it back', () => {
    expect(unregistered(reg(T0))).toMatchObject({ online: false, offlineReason: 'unregistered' });
    expect(keepalive(unregistered(reg(T0)), T0 + 1000).online).toBe(false);
  });
});
