/**
 * The wire side of the ZLMediaKit stand-in (zlm-standin.ts; a stand-in because no ZLMediaKit package exists in
 * the reachable registries): its settings, what it records, ZLM's way of reading API arguments, RTP payloads.
 */
import type { IncomingMessage } from 'node:http';
import type { Server as TcpServer } from 'node:net';
import type { Socket } from 'node:dgram';

/** Settings of the stand-in (ZLM's config.ini names in the comments). */
export interface StandinOptions {
  /** `[api] secret`. */
  secret: string;
  /** `[general] mediaServerId`. */
  mediaServerId: string;
  /** `[rtp_proxy] timeoutSec`, in ms. */
  rtpTimeoutMs: number;
  /** `[general] streamNoneReaderDelayMS`. */
  noneReaderDelayMs: number;
}

/** One hook the stand-in posted, and what it got back. */
export interface PostedHook {
  event: string;
  body: Record<string, unknown>;
  status: number;
  answer: unknown;
}

/** One receiver opened by openRtpServer. */
export interface RtpServer {
  streamId: string;
  port: number;
  tcpMode: number;
  ssrc: number;
  udp: Socket;
  tcp: TcpServer | null;
  packets: number;
  dropped: number;
  psPacks: number;
  registered: boolean;
  readers: number;
  rtpTimer: ReturnType<typeof setTimeout> | null;
  readerTimer: ReturnType<typeof setTimeout> | null;
}

/** The payload of an RTP packet (RFC 3550 §5.1: after the CSRCs and any header extension). */
export function rtpPayload(msg: Buffer): Buffer {
  const cc = msg[0]! & 0x0f;
  let at = 12 + cc * 4;
  if (msg[0]! & 0x10 && msg.length >= at + 4) at += 4 + msg.readUInt16BE(at + 2) * 4;
  return msg.subarray(at);
}

/** Whether a payload starts with an MPEG-PS pack header (00 00 01 BA), as GB PS-over-RTP frames do. */
export function isPsPack(payload: Buffer): boolean {
  return payload.length >= 4 && payload.readUInt32BE(0) === 0x000001ba;
}

/** ZLM's getAllArgs: urlencoded or JSON body, then the query string on top. */
export async function readArgs(req: IncomingMessage, url: URL): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  const out: Record<string, string> = {};
  if (type.startsWith('application/x-www-form-urlencoded')) for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  else if (type.startsWith('application/json') && text) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(text) as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    } catch {
      // ZLM logs and goes on with the query
    }
  }
  for (const [k, v] of url.searchParams) out[k] = v;
  return out;
}
