/**
 * MANSRTSP: playback control in an in-dialog INFO (`Content-Type: Application/MANSRTSP`, GB/T 28181 §9.8.3
 * and Annex B): RTSP-style requests `PLAY`/`PAUSE` with `CSeq`, `Range: npt=`, `Scale:` and `PauseTime:`.
 * @module
 */

/** Content type of a MANSRTSP body. */
export const MANSRTSP = 'Application/MANSRTSP';

/** One playback control. */
export type PlaybackControl =
  /** Resume where it paused (`Range: npt=now-`). */
  | { action: 'play' }
  /** Seek: play from `npt` seconds into the record (`Range: npt=<s>-`). */
  | { action: 'seek'; npt: number }
  | { action: 'pause' }
  /** Speed: `Scale: 2.0` (see `SCALES`). */
  | { action: 'scale'; scale: number };

const CRLF = '\r\n';

/** A number as MANSRTSP writes it: fixed point, no exponent (`0.25`, `2.0`, `12.5`). */
function decimal(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(Number(n.toFixed(6)));
}

/** The MANSRTSP body of `control` with `cseq` (counting up within the dialog). CRLF line ends. */
export function buildMansrtsp(control: PlaybackControl, cseq: number): string {
  const lines: string[] = [];
  switch (control.action) {
    case 'play':
      lines.push('PLAY RTSP/1.0', `CSeq: ${cseq}`, 'Range: npt=now-');
      break;
    case 'seek':
      lines.push('PLAY RTSP/1.0', `CSeq: ${cseq}`, `Range: npt=${Math.max(0, Math.floor(control.npt))}-`);
      break;
    case 'pause':
      lines.push('PAUSE RTSP/1.0', `CSeq: ${cseq}`, 'PauseTime: now');
      break;
    case 'scale':
      lines.push('PLAY RTSP/1.0', `CSeq: ${cseq}`, `Scale: ${decimal(control.scale)}`);
      break;
  }
  return lines.join(CRLF) + CRLF;
}

/** What a device reads from a MANSRTSP body (the tests' camera uses it; a platform could log it). */
export interface MansrtspRequest {
  method: string;
  cseq: number;
  headers: Map<string, string>;
}

/** Parse a MANSRTSP body: `<METHOD> RTSP/1.0` then `Name: value` lines; null when it is not one. */
export function parseMansrtsp(text: string): MansrtspRequest | null {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const m = /^([A-Z]+) RTSP\/1\.0$/.exec(lines[0]?.trim() ?? '');
  if (!m) return null;
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const at = l.indexOf(':');
    if (at > 0) headers.set(l.slice(0, at).trim().toLowerCase(), l.slice(at + 1).trim());
  }
  const cseq = Number(headers.get('cseq'));
  if (!Number.isInteger(cseq)) return null;
  return { method: m[1]!, cseq, headers };
}
