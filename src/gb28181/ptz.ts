/**
 * PTZCmd: the 8-byte front-end control command of GB/T 28181 Annex A, sent as 16 upper-case
 * hex digits inside `<PTZCmd>`.
 *
 * | byte | meaning |
 * |---|---|
 * | 1 | `A5` header |
 * | 2 | high nibble version (0), low nibble (0xA + 0x5 + version) mod 16 → `0F` |
 * | 3 | address, low 8 bits |
 * | 4 | command: bit0 right, bit1 left, bit2 down, bit3 up, bit4 zoom in (tele), bit5 zoom out (wide) |
 * | 5 | data 1: pan speed (preset commands: 0) |
 * | 6 | data 2: tilt speed (preset commands: preset number) |
 * | 7 | high nibble zoom speed, low nibble address high 4 bits |
 * | 8 | checksum: sum of bytes 1–7 mod 256 |
 * @module
 */

import { fail, ok } from '../sip/message.js';
import type { Result } from '../sip/message.js';

const HEADER = 0xa5;
const VERSION = 0;
/** Byte 2: version in the high nibble, (A + 5 + version) mod 16 in the low one. */
const COMBINATION = (VERSION << 4) | ((0xa + 0x5 + VERSION) & 0x0f);

const RIGHT = 0x01;
const LEFT = 0x02;
const DOWN = 0x04;
const UP = 0x08;
const ZOOM_IN = 0x10;
const ZOOM_OUT = 0x20;

/** Preset command codes (byte 4). */
const PRESET_CODES = { set: 0x81, call: 0x82, delete: 0x83 } as const;

/** A pan/tilt/zoom movement; every field absent means stop. */
export interface PtzMove {
  pan?: 'left' | 'right';
  tilt?: 'up' | 'down';
  zoom?: 'in' | 'out';
  /** Pan and tilt speed 0–255, written to both bytes 5 and 6 (as WVP does). */
  speed?: number;
  /** Override of the pan speed byte. */
  panSpeed?: number;
  /** Override of the tilt speed byte. */
  tiltSpeed?: number;
  /** Zoom speed 0–15 (high nibble of byte 7). */
  zoomSpeed?: number;
  /** Device address 0–4095; default 1. */
  address?: number;
}

/** A decoded PTZCmd. */
export interface PtzCommand {
  /** Byte 4 as a number (0x00–0x3F movement, 0x4X focus/iris, 0x81–0x8D preset/cruise/scan/aux). */
  command: number;
  /** Set for movement commands (byte 4 < 0x40) only. */
  pan?: 'left' | 'right';
  tilt?: 'up' | 'down';
  zoom?: 'in' | 'out';
  /** Byte 5. */
  panSpeed: number;
  /** Byte 6. */
  tiltSpeed: number;
  /** High nibble of byte 7. */
  zoomSpeed: number;
  /** Byte 3 plus the low nibble of byte 7 as the high bits. */
  address: number;
  /** Byte 8 equals the sum of bytes 1–7 mod 256. */
  checksumOk: boolean;
}

/** `n` rounded and clamped to `[0, max]`; non-numbers become 0. */
function clamp(n: number | undefined, max: number): number {
  if (n === undefined || !Number.isFinite(n)) return 0;
  return Math.min(max, Math.max(0, Math.round(n)));
}

/** Bytes 1–7 plus checksum, as 16 upper-case hex digits. */
function encode(address: number, command: number, data1: number, data2: number, zoomSpeed: number): string {
  const addr = clamp(address, 0xfff);
  const bytes = [HEADER, COMBINATION, addr & 0xff, command, data1, data2, (zoomSpeed << 4) | (addr >> 8)];
  bytes.push(bytes.reduce((a, b) => a + b, 0) & 0xff);
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/**
 * PTZCmd hex for a movement (all fields absent = stop). Speeds are rounded and clamped to
 * their byte/nibble ranges. `{ tilt: 'up', speed: 0x80 }` → `A50F0108808000BD`;
 * `{}` → `A50F0100000000B5`.
 */
export function buildPtzCmd(move: PtzMove = {}): string {
  let command = 0;
  if (move.pan === 'right') command |= RIGHT;
  else if (move.pan === 'left') command |= LEFT;
  if (move.tilt === 'down') command |= DOWN;
  else if (move.tilt === 'up') command |= UP;
  if (move.zoom === 'in') command |= ZOOM_IN;
  else if (move.zoom === 'out') command |= ZOOM_OUT;
  const panSpeed = clamp(move.panSpeed ?? move.speed, 0xff);
  const tiltSpeed = clamp(move.tiltSpeed ?? move.speed, 0xff);
  return encode(move.address ?? 1, command, panSpeed, tiltSpeed, clamp(move.zoomSpeed, 0x0f));
}

/**
 * PTZCmd hex for a preset: set (0x81), call (0x82) or delete (0x83) preset `index` (1–255,
 * byte 6). Call preset 3 → `A50F01820003003A`.
 */
export function buildPresetCmd(action: 'set' | 'call' | 'delete', index: number, address = 1): string {
  return encode(address, PRESET_CODES[action], 0, clamp(index, 0xff), 0);
}

/** Two bits that must not both be set, as a direction. */
function direction<A extends string, B extends string>(cmd: number, aBit: number, a: A, bBit: number, b: B): Result<A | B | undefined> {
  const hasA = (cmd & aBit) !== 0;
  const hasB = (cmd & bBit) !== 0;
  if (hasA && hasB) return fail(`PTZCmd sets both ${a} and ${b}`);
  return ok(hasA ? a : hasB ? b : undefined);
}

/**
 * Decode 16 hex digits (either case, surrounding whitespace ignored). Fails on a wrong length,
 * non-hex digits, a header other than `A5`, or contradictory movement bits; a bad checksum is
 * reported in `checksumOk`, not as a failure.
 */
export function parsePtzCmd(hex: string): Result<PtzCommand> {
  const s = hex.trim();
  if (s.length !== 16) return fail(`PTZCmd must be 16 hex digits, got ${s.length}`);
  const bytes: number[] = [];
  for (let i = 0; i < 16; i += 2) {
    const pair = s.slice(i, i + 2);
    if (!/^[0-9A-Fa-f]{2}$/.test(pair)) return fail(`PTZCmd has a non-hex digit near position ${i}`);
    bytes.push(parseInt(pair, 16));
  }
  const [b1, , b3, b4, b5, b6, b7, b8] = bytes as [number, number, number, number, number, number, number, number];
  if (b1 !== HEADER) return fail(`PTZCmd must start with A5, got ${s.slice(0, 2)}`);
  const sum = bytes.slice(0, 7).reduce((a, b) => a + b, 0) & 0xff;
  const out: PtzCommand = {
    command: b4,
    panSpeed: b5,
    tiltSpeed: b6,
    zoomSpeed: b7 >> 4,
    address: ((b7 & 0x0f) << 8) | b3,
    checksumOk: sum === b8,
  };
  if (b4 < 0x40) {
    const pan = direction(b4, RIGHT, 'right', LEFT, 'left');
    const tilt = direction(b4, DOWN, 'down', UP, 'up');
    const zoom = direction(b4, ZOOM_IN, 'in', ZOOM_OUT, 'out');
    if (!pan.ok) return pan;
    if (!tilt.ok) return tilt;
    if (!zoom.ok) return zoom;
    if (pan.value !== undefined) out.pan = pan.value;
    if (tilt.value !== undefined) out.tilt = tilt.value;
    if (zoom.value !== undefined) out.zoom = zoom.value;
  }
  return ok(out);
}
