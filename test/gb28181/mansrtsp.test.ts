import { describe, expect, it } from 'vitest';
import { buildMansrtsp, MANSRTSP, parseMansrtsp } from '../../src/gb28181/mansrtsp.js';

describe('MANSRTSP playback control (GB/T 28181 §9.8.3)', () => {
  it('resumes with PLAY and Range: npt=now-', () => {
    expect(buildMansrtsp({ action: 'play' }, 3)).toBe('PLAY RTSP/1.0\r\nCSeq: 3\r\nRange: npt=now-\r\n');
  });

  it('seeks with PLAY and Range: npt=<seconds>- (whole seconds, never negative)', () => {
    expect(buildMansrtsp({ action: 'seek', npt: 120 }, 4)).toBe('PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=120-\r\n');
    expect(buildMansrtsp({ action: 'seek', npt: 12.7 }, 4)).toContain('Range: npt=12-');
    expect(buildMansrtsp({ action: 'seek', npt: -5 }, 4)).toContain('Range: npt=0-');
  });

  it('pauses with PAUSE and PauseTime: now', () => {
    expect(buildMansrtsp({ action: 'pause' }, 5)).toBe('PAUSE RTSP/1.0\r\nCSeq: 5\r\nPauseTime: now\r\n');
  });

  it('changes speed with Scale, fixed point', () => {
    expect(buildMansrtsp({ action: 'scale', scale: 2 }, 6)).toBe('PLAY RTSP/1.0\r\nCSeq: 6\r\nScale: 2.0\r\n');
    expect(buildMansrtsp({ action: 'scale', scale: 0.25 }, 7)).toContain('Scale: 0.25\r\n');
  });

  it('names the content type and parses what it builds', () => {
    expect(MANSRTSP).toBe('Application/MANSRTSP');
    const p = parseMansrtsp(buildMansrtsp({ action: 'scale', scale: 0.5 }, 9))!;
    expect(p.method).toBe('PLAY');
    expect(p.cseq).toBe(9);
    expect(p.headers.get('scale')).toBe('0.5');
    expect(parseMansrtsp('hello')).toBeNull();
    expect(parseMansrtsp('PLAY RTSP/1.0\r\nRange: npt=now-\r\n')).toBeNull();
  });
});
