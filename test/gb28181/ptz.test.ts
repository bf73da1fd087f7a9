import { describe, expect, it } from 'vitest';
import { buildPresetCmd, buildPtzCmd, parsePtzCmd } from '../../src/gb28181/ptz.js';
import { parseManscdp } from '../../src/gb28181/manscdp.js';
import { decodeBody } from '../../src/gb28181/charset.js';
import { fixtureBytes } from './fixtures.js';

describe('buildPtzCmd', () => {
  it('encodes tilt up at speed 0x80 as the README vector', () => {
    expect(buildPtzCmd({ tilt: 'up', speed: 0x80 })).toBe('A50F0108808000BD');
  });

  it('encodes stop when no movement is given', () => {
    expect(buildPtzCmd()).toBe('A50F0100000000B5');
    expect(buildPtzCmd({})).toBe('A50F0100000000B5');
  });

  it('puts the zoom speed in the high nibble of byte 7', () => {
    expect(buildPtzCmd({ zoom: 'in', zoomSpeed: 1 })).toBe('A50F0110000010D5');
  });

  it.each([
    [{ pan: 'right' }, 0x01], [{ pan: 'left' }, 0x02], [{ tilt: 'down' }, 0x04], [{ tilt: 'up' }, 0x08],
    [{ zoom: 'in' }, 0x10], [{ zoom: 'out' }, 0x20], [{ pan: 'left', tilt: 'up', zoom: 'out' }, 0x2a],
  ] as const)('sets command bits for %j', (move, bits) => {
    const hex = buildPtzCmd(move);
    expect(parseInt(hex.slice(6, 8), 16)).toBe(bits);
  });

  it('writes separate pan and tilt speeds when given', () => {
    expect(buildPtzCmd({ pan: 'right', tilt: 'down', panSpeed: 0x10, tiltSpeed: 0x20 }).slice(8, 12)).toBe('1020');
  });

  it('splits a 12-bit address over byte 3 and the low nibble of byte 7', () => {
    const hex = buildPtzCmd({ address: 0x123, zoomSpeed: 0xf });
    expect(hex.slice(4, 6)).toBe('23');
    expect(hex.slice(12, 14)).toBe('F1');
  });

  it('clamps out-of-range speeds instead of overflowing into other bytes', () => {
    expect(buildPtzCmd({ pan: 'left', speed: 999, zoomSpeed: 99 })).toBe(buildPtzCmd({ pan: 'left', speed: 255, zoomSpeed: 15 }));
    expect(buildPtzCmd({ pan: 'left', speed: -5 })).toBe(buildPtzCmd({ pan: 'left', speed: 0 }));
  });

  it('matches the PTZCmd inside the control body vector', () => {
    const m = parseManscdp(decodeBody(fixtureBytes('08-ptz-body.xml')));
    expect(m.ok && m.value.fields['PTZCmd']).toBe(buildPtzCmd({ tilt: 'up', speed: 0x80 }));
  });
});

describe('buildPresetCmd', () => {
  it('calls preset 3 as in the reference', () => {
    expect(buildPresetCmd('call', 3)).toBe('A50F01820003003A');
  });

  it('uses 0x81 to set and 0x83 to delete a preset', () => {
    expect(buildPresetCmd('set', 1).slice(6, 8)).toBe('81');
    expect(buildPresetCmd('delete', 1).slice(6, 8)).toBe('83');
  });
});

describe('parsePtzCmd', () => {
  it('decodes the tilt-up vector with a valid checksum', () => {
    expect(parsePtzCmd('A50F0108808000BD')).toEqual({
      ok: true,
      value: { command: 0x08, tilt: 'up', panSpeed: 0x80, tiltSpeed: 0x80, zoomSpeed: 0, address: 1, checksumOk: true },
    });
  });

  it('decodes stop with no directions', () => {
    const r = parsePtzCmd('a50f0100000000b5');
    expect(r.ok && r.value).toEqual({ command: 0, panSpeed: 0, tiltSpeed: 0, zoomSpeed: 0, address: 1, checksumOk: true });
  });

  it('round-trips every movement the builder makes', () => {
    const r = parsePtzCmd(buildPtzCmd({ pan: 'right', tilt: 'down', zoom: 'in', speed: 7, zoomSpeed: 9, address: 0xabc }));
    expect(r.ok && r.value).toMatchObject({ pan: 'right', tilt: 'down', zoom: 'in', panSpeed: 7, tiltSpeed: 7, zoomSpeed: 9, address: 0xabc, checksumOk: true });
  });

  it('reports a bad checksum without failing', () => {
    const r = parsePtzCmd('A50F0108808000BE');
    expect(r.ok && r.value.checksumOk).toBe(false);
  });

  it('leaves preset commands undecoded as movements', () => {
    const r = parsePtzCmd('A50F01820003003A');
    expect(r.ok && r.value).toEqual({ command: 0x82, panSpeed: 0, tiltSpeed: 3, zoomSpeed: 0, address: 1, checksumOk: true });
  });

  it.each([
    ['A50F01088080', /16 hex digits/],
    ['A50F0108808000BZ', /non-hex/],
    ['B50F0108808000BD', /start with A5/],
    ['A50F0103000000B8', /both right and left/],
    ['A50F0130000000E5', /both in and out/],
  ])('fails on %s', (hex, reason) => {
    const r = parsePtzCmd(hex);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });
});
