/**
 * The runtime floor: what workerd itself costs for the benchmarks' REGISTER exchange.
 *
 * The same shape as our Worker (one hibernatable-WebSocket Durable Object per connection, subprotocol `sip`,
 * a udp-bridge connection named by its device address) and nothing else: no SIP parsing, no digest check, no
 * storage. A REGISTER without `Authorization` gets a 401 with a fixed challenge, one with it a 200, OPTIONS a
 * 200; the response copies the request's Via/From/To/Call-ID/CSeq lines found by splitting lines.
 * @module
 */
import { DurableObject } from 'cloudflare:workers';

/** Bindings of the floor Worker (bench/floor/wrangler.toml and the harness's secrets). */
export interface FloorEnv {
  FLOOR: DurableObjectNamespace<FloorObject>;
  /** Token the udp-bridge sends as `Authorization: Bearer …`, as for our Worker. */
  BRIDGE_TOKEN?: string;
}

/** The one challenge every unauthenticated REGISTER gets (the generators compute a real MD5 answer to it). */
const CHALLENGE = 'WWW-Authenticate: Digest realm="edge-sip.test", nonce="floor-0123456789abcdef", qop="auth", algorithm=MD5';
/** Header names (full and compact) copied from the request into the response; To gets a tag besides. */
const COPIED = new Set(['via', 'v', 'from', 'f', 'call-id', 'i', 'cseq']);
const utf8 = new TextDecoder();

/**
 * The response to one SIP request, or null for anything that gets none (responses, ACK, keep-alives).
 * Exported for tests and for reading; the Durable Object below is its only caller in the Worker.
 */
export function floorResponse(text: string): string | null {
  const lines = text.split('\r\n');
  const method = lines[0]!.slice(0, lines[0]!.indexOf(' '));
  if (method === '' || method === 'SIP/2.0' || method === 'ACK') return null;
  let authorized = false;
  const copied: string[] = [];
  const contacts: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break; // end of the headers
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    if (name === 'authorization') authorized = true;
    else if (name === 'to' || name === 't') copied.push(line.includes(';tag=') ? line : `${line};tag=floor`);
    else if (COPIED.has(name)) copied.push(line);
    else if (name === 'contact' || name === 'm') contacts.push(line);
  }
  const head = method === 'REGISTER' && !authorized ? ['SIP/2.0 401 Unauthorized', ...copied, CHALLENGE]
    // The 200 to REGISTER lists the binding, as ours does (the udp-bridge reads it to keep a registered flow).
    : ['SIP/2.0 200 OK', ...copied, ...(method === 'REGISTER' ? contacts : [])];
  return [...head, 'Content-Length: 0', '', ''].join('\r\n');
}

/** One WebSocket connection, accepted with hibernation; answers every frame with {@link floorResponse}. */
export class FloorObject extends DurableObject<FloorEnv> {
  /** The upgrade handed over by the Worker: accept the socket and echo the `sip` subprotocol. */
  override async fetch(_request: Request): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client, headers: { 'Sec-WebSocket-Protocol': 'sip' } });
  }

  /** A SIP message in a text or binary frame (the udp-bridge sends binary). */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const reply = floorResponse(typeof message === 'string' ? message : utf8.decode(message));
    if (reply !== null) ws.send(reply);
  }

  /** Reciprocate the close handshake, as ours does. */
  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'bye');
    } catch {
      // already closing
    }
  }
}

export default {
  /** `GET /sip` upgrades; a bridge connection (right token, `x-bridge-source`) gets the object named by its device. */
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('floor', { status: 426 });
    const auth = request.headers.get('authorization');
    const source = request.headers.get('x-bridge-source');
    if (auth !== null && (auth !== `Bearer ${env.BRIDGE_TOKEN}` || !source)) return new Response('Wrong bridge token', { status: 401 });
    const id = auth !== null ? env.FLOOR.idFromName(`udp:${source}`) : env.FLOOR.newUniqueId();
    return env.FLOOR.get(id).fetch(request);
  },
} satisfies ExportedHandler<FloorEnv>;
