/**
 * Our Via branch: which object holds a transaction, and the loop hash (RFC 3261 §16.6 step 8).
 */
import { describe, expect, it } from 'vitest';
import { makeBranch, parseBranch } from '../../src/proxy/branch.js';

const ID = 'a'.repeat(64);

describe('Via branch', () => {
  it('names the originating object and round-trips', () => {
    const b = makeBranch({ origin: 'flow', objectId: ID, loop: '0123abcd', tx: 'ffz1' });
    expect(b.startsWith('z9hG4bK')).toBe(true);
    expect(parseBranch(b)).toEqual({ origin: 'flow', objectId: ID, loop: '0123abcd', tx: 'ffz1' });
  });

  it('does not recognise branches that are not ours', () => {
    expect(parseBranch('z9hG4bK776asdhds')).toBeNull();
    expect(parseBranch(`z9hG4bK.x${ID}.0123abcd.1`)).toBeNull();
    expect(parseBranch(null)).toBeNull();
  });
});
