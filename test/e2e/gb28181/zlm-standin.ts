/**
 * A STAND-IN for ZLMediaKit, because no ZLMediaKit package (Debian or npm) exists in the registries these
 * machines reach. It follows ZLM's documented HTTP API ("RESTful API" and "Web Hook" pages of ZLMediaKit/docs)
 * for the calls a GB platform makes, and really receives RTP:
 * - `/index/api/openRtpServer` (port 0 = random, tcp_mode 0/1/2, stream_id, ssrc) binds a real UDP port (and a
 *   TCP listener on the same port for tcp_mode 1, RFC 4571 framing); `closeRtpServer` → `{hit}`;
 *   `updateRtpServerSSRC`; `listRtpServer`; `isMediaOnline`; `getMediaList`. Every call needs `secret`
 *   (-100 "Incorrect secret"), missing arguments -300, a stream id already open -300; HTTP 200 with JSON always.
 * - RTP whose SSRC is the expected one (others are dropped, as ZLM's SSRC filter does) and whose payload holds a
 *   PS pack header (00 00 01 BA) registers the stream: `on_stream_changed` regist=true (schemas rtsp, rtmp).
 * - With no reader for `noneReaderDelayMs` (ZLM `general.streamNoneReaderDelayMS`) it posts
 *   `on_stream_none_reader`; an answer `close: true` closes the stream and its receiver. An HTTP-FLV or
 *   HTTP-fMP4 player (GET /rtp/<stream>.live.flv | .live.mp4) counts as a reader while connected.
 * - `closeRtpServer` ends the stream with its receiver (`on_stream_changed` regist=false), as ZLM's does: the
 *   platform calls it after a BYE, whoever sent the BYE.
 * - No RTP for `rtpTimeoutMs` (ZLM `rtp_proxy.timeoutSec`): `on_rtp_server_timeout`, receiver released.
 * It does not decode media, transcode, record, or dial out for tcp_mode 2 (connectRtpServer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import { createSocket } from 'node:dgram';
import { isPsPack, readArgs, rtpPayload, type PostedHook, type RtpServer, type StandinOptions } from './zlm-standin-wire.js';

export type { PostedHook, StandinOptions };

const SCHEMAS = ['rtsp', 'rtmp'];
/** ISO BMFF `ftyp` box (ISO 14496-12 §4.3) as fMP4 streams start: major brand isom, compatible isom iso2 avc1 mp41. */
const FTYP = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypisom\0\0\x02\0isomiso2avc1mp41', 'latin1')]);

/** The ZLM stand-in: an HTTP API on 127.0.0.1 and the RTP receivers it opens. */
export class ZlmStandin {
  readonly servers = new Map<string, RtpServer>();
  readonly hooks: PostedHook[] = [];
  readonly calls: Array<{ api: string; args: Record<string, string> }> = [];
  /** Where each hook goes (ZLM `[hook] on_…=` URLs); null until set: no hooks are posted. */
  hookUrl: ((event: string) => string) | null = null;
  readonly #tcpConns = new Set<TcpSocket>();

  private constructor(readonly http: Server, readonly url: string, readonly o: StandinOptions) {}

  static async start(o: StandinOptions): Promise<ZlmStandin> {
    let self!: ZlmStandin;
    const http = createServer((req, res) => void self.#serve(req, res));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const addr = http.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    self = new ZlmStandin(http, `http://127.0.0.1:${addr.port}`, o);
    return self;
  }

  /** Hooks of `event` posted so far. */
  posted(event: string): PostedHook[] {
    return this.hooks.filter((h) => h.event === event);
  }

  async close(): Promise<void> {
    for (const s of [...this.servers.values()]) this.#release(s);
    for (const c of this.#tcpConns) c.destroy();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const play = /^\/rtp\/(.+)\.live\.(flv|mp4)$/.exec(url.pathname);
    if (req.method === 'GET' && play) return this.#play(decodeURIComponent(play[1]!), play[2] as 'flv' | 'mp4', res);
    const api = /^\/index\/api\/(\w+)$/.exec(url.pathname)?.[1];
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (!api) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body>404 Not Found</body></html>');
      return;
    }
    const args = await readArgs(req, url);
    this.calls.push({ api, args: Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'secret')) });
    if (args.secret === undefined) return json({ code: -300, msg: 'Required parameter missed: secret' });
    if (args.secret !== this.o.secret) return json({ code: -100, msg: 'Incorrect secret' });
    json(await this.#api(api, args));
  }

  async #api(api: string, a: Record<string, string>): Promise<Record<string, unknown>> {
    const missing = (...names: string[]) => {
      const m = names.find((n) => a[n] === undefined || a[n] === '');
      return m ? { code: -300, msg: `Required parameter missed: ${m}` } : null;
    };
    switch (api) {
      case 'openRtpServer': {
        const m = missing('port', 'stream_id');
        if (m) return m;
        if (this.servers.has(a.stream_id!)) return { code: -300, msg: 'This stream already exists' };
        const tcpMode = Number(a.tcp_mode ?? a.enable_tcp ?? 0);
        const s = await this.#open(a.stream_id!, Number(a.port), tcpMode, Number(a.ssrc ?? 0));
        return { code: 0, port: s.port };
      }
      case 'closeRtpServer': {
        const m = missing('stream_id');
        if (m) return m;
        const s = this.servers.get(a.stream_id!);
        if (s) this.#release(s);
        return { code: 0, hit: s ? 1 : 0 };
      }
      case 'updateRtpServerSSRC': {
        const m = missing('stream_id', 'ssrc');
        if (m) return m;
        const s = this.servers.get(a.stream_id!);
        if (!s) return { code: -1, msg: 'RtpServer not found by stream_id' };
        s.ssrc = Number(a.ssrc);
        return { code: 0 };
      }
      case 'listRtpServer':
        return { code: 0, data: [...this.servers.values()].map((s) => ({ port: s.port, stream_id: s.streamId })) };
      case 'isMediaOnline': {
        const m = missing('schema', 'vhost', 'app', 'stream');
        if (m) return m;
        return { code: 0, online: a.app === 'rtp' && this.servers.get(a.stream!)?.registered === true };
      }
      case 'getMediaList':
        return {
          code: 0,
          data: [...this.servers.values()].filter((s) => s.registered && (a.stream === undefined || a.stream === s.streamId)).flatMap((s) =>
            SCHEMAS.map((schema) => ({ app: 'rtp', stream: s.streamId, schema, vhost: '__defaultVhost__', readerCount: s.readers, totalReaderCount: s.readers, originType: 3, originTypeStr: 'MediaOriginType::rtp_push' }))),
        };
      default:
        return { code: -1, msg: `api ${api} is not in the stand-in` };
    }
  }

  async #open(streamId: string, port: number, tcpMode: number, ssrc: number): Promise<RtpServer> {
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, '127.0.0.1', () => resolve());
      });
      const bound = udp.address().port;
      let tcp: TcpServer | null = null;
      if (tcpMode === 1) {
        tcp = createTcpServer((conn) => this.#tcpConn(streamId, conn));
        const ok = await new Promise<boolean>((resolve) => {
          tcp!.once('error', () => resolve(false));
          tcp!.listen(bound, '127.0.0.1', () => resolve(true));
        });
        if (!ok) {
          udp.close();
          if (attempt < 5 && port === 0) continue;
          throw new Error(`TCP port ${bound} is taken`);
        }
      }
      const s: RtpServer = { streamId, port: bound, tcpMode, ssrc, udp, tcp, packets: 0, dropped: 0, psPacks: 0, registered: false, readers: 0, rtpTimer: null, readerTimer: null };
      udp.on('message', (msg) => this.#rtp(s, msg));
      this.servers.set(streamId, s);
      this.#armRtpTimeout(s);
      return s;
    }
  }

  /** RFC 4571 framing: a 16-bit length before each RTP packet. */
  #tcpConn(streamId: string, conn: TcpSocket): void {
    this.#tcpConns.add(conn);
    let buf = Buffer.alloc(0);
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const n = buf.readUInt16BE(0);
        const s = this.servers.get(streamId);
        if (s) this.#rtp(s, buf.subarray(2, 2 + n));
        buf = buf.subarray(2 + n);
      }
    });
    conn.on('error', () => undefined);
    conn.on('close', () => this.#tcpConns.delete(conn));
  }

  #rtp(s: RtpServer, msg: Buffer): void {
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return void s.dropped++;
    const ssrc = msg.readUInt32BE(8);
    if (s.ssrc !== 0 && ssrc !== s.ssrc) return void s.dropped++;
    s.packets++;
    this.#armRtpTimeout(s);
    if (isPsPack(rtpPayload(msg))) s.psPacks++;
    if (!s.registered && s.psPacks > 0) {
      s.registered = true;
      for (const schema of SCHEMAS) void this.#post('on_stream_changed', { regist: true, schema, app: 'rtp', stream: s.streamId, vhost: '__defaultVhost__', originType: 3, originTypeStr: 'MediaOriginType::rtp_push' });
      this.#armNoneReader(s);
    }
  }

  #armRtpTimeout(s: RtpServer): void {
    if (s.rtpTimer) clearTimeout(s.rtpTimer);
    s.rtpTimer = setTimeout(() => {
      if (this.servers.get(s.streamId) !== s) return;
      void this.#post('on_rtp_server_timeout', { local_port: s.port, re_use_port: false, ssrc: s.ssrc, stream_id: s.streamId, tcp_mode: s.tcpMode });
      this.#release(s);
    }, this.o.rtpTimeoutMs);
  }

  #armNoneReader(s: RtpServer): void {
    if (s.readerTimer) clearTimeout(s.readerTimer);
    s.readerTimer = setTimeout(() => void this.#noneReader(s), this.o.noneReaderDelayMs);
  }

  /**
   * What ZLM does when `streamNoneReaderDelayMS` has passed: with no reader, post `on_stream_none_reader` and
   * close on `close: true`. Tests call it through {@link checkReaders} instead of waiting for the delay.
   */
  async #noneReader(s: RtpServer): Promise<unknown> {
    if (this.servers.get(s.streamId) !== s || !s.registered || s.readers > 0) return undefined;
    const answer = (await this.#post('on_stream_none_reader', { schema: 'rtmp', app: 'rtp', stream: s.streamId, vhost: '__defaultVhost__' })) as { close?: boolean } | null;
    if (answer?.close === true) this.#release(s);
    else if (this.servers.get(s.streamId) === s) this.#armNoneReader(s);
    return answer;
  }

  /** Run the no-reader check of `stream` now; the hook's answer, or undefined when none was posted (a reader, no stream). */
  checkReaders(stream: string): Promise<unknown> {
    const s = this.servers.get(stream);
    return s ? this.#noneReader(s) : Promise.resolve(undefined);
  }

  /** An HTTP-FLV or HTTP-fMP4 player: the FLV header or an fMP4 `ftyp` box, then held open (a reader) until it goes. */
  #play(stream: string, format: 'flv' | 'mp4', res: ServerResponse): void {
    const s = this.servers.get(stream);
    if (!s?.registered) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('stream not found');
      return;
    }
    s.readers++;
    if (s.readerTimer) clearTimeout(s.readerTimer);
    res.writeHead(200, { 'content-type': format === 'flv' ? 'video/x-flv' : 'video/mp4' });
    res.write(format === 'flv' ? Buffer.from([0x46, 0x4c, 0x56, 0x01, 0x01, 0, 0, 0, 9, 0, 0, 0, 0]) : FTYP);
    res.on('close', () => {
      s.readers--;
      if (s.readers === 0 && this.servers.get(stream) === s) this.#armNoneReader(s);
    });
  }

  #release(s: RtpServer): void {
    if (this.servers.get(s.streamId) !== s) return;
    this.servers.delete(s.streamId);
    if (s.rtpTimer) clearTimeout(s.rtpTimer);
    if (s.readerTimer) clearTimeout(s.readerTimer);
    s.udp.close();
    s.tcp?.close();
    if (s.registered) for (const schema of SCHEMAS) void this.#post('on_stream_changed', { regist: false, schema, app: 'rtp', stream: s.streamId, vhost: '__defaultVhost__' });
  }

  async #post(event: string, body: Record<string, unknown>): Promise<unknown> {
    if (!this.hookUrl) return null;
    const full = { mediaServerId: this.o.mediaServerId, ...body };
    try {
      const res = await fetch(this.hookUrl(event), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(full) });
      const text = await res.text();
      let answer: unknown = text;
      try {
        answer = JSON.parse(text);
      } catch {
        // kept as text
      }
      this.hooks.push({ event, body: full, status: res.status, answer });
      return res.status === 200 ? answer : null;
    } catch (e) {
      this.hooks.push({ event, body: full, status: 0, answer: String(e) });
      return null;
    }
  }
}
