/**
 * A real JsSIP user agent in Node (JsSIP's own WebSocket transport over Node's WebSocket), with
 * a fake WebRTC stack for calls and a tap on its connection (`wire`).
 */
import JsSIP from 'jssip';
import { FakeMediaStream, installFakeWebRTC, type FakeRTCPeerConnection } from './fake-webrtc.js';
import { Queue, Signal } from './signal.js';
import { Wire } from './wire.js';
import type { CallEnd, CallFailure, InDialog, IncomingCall, MessageResult, OutgoingCall, ReceivedInfo, ReceivedMessage } from './types.js';

export type { CallEnd, CallFailure, IncomingCall, MessageResult, OutgoingCall, ReceivedMessage } from './types.js';

JsSIP.debug.disable();

/** Options of {@link createJsSipUa}. */
export interface JsSipOptions {
  ws: string;
  user: string;
  password: string;
  domain: string;
  expires?: number;
  /** Name in wire logs (default `JsSIP <user>`). */
  name?: string;
}

/** Outcome of a registration attempt. */
export type RegistrationOutcome = { ok: true } | { ok: false; cause: string; status: number | undefined };

/** A started JsSIP UA and promise-returning helpers. */
export interface JsSipUa {
  ua: InstanceType<typeof JsSIP.UA>;
  /** Every SIP message on this UA's connection. */
  wire: Wire;
  register(): Promise<RegistrationOutcome>;
  /** Send a refreshing REGISTER (JsSIP emits no event for it; check the service's state). */
  refresh(): void;
  unregister(): Promise<void>;
  stop(): Promise<void>;
  /** Start a call (fake media); follow it through the returned handle. */
  call(target: string): OutgoingCall;
  /** Incoming calls (JsSIP answers 180 Ringing by itself). */
  incoming: Queue<IncomingCall>;
  /** Send a MESSAGE; resolves with the final status (or the JsSIP cause without a response). */
  sendMessage(target: string, body: string, contentType?: string): Promise<MessageResult>;
  /** Incoming MESSAGEs (JsSIP answers 200 by itself). */
  messages: Queue<ReceivedMessage>;
}

// Minimal views of JsSIP objects (its .d.ts leans on DOM types this project does not load).
interface JsSipResponse {
  status_code: number;
  reason_phrase: string;
}
interface JsSipRequest {
  call_id: string;
  body: string;
  from: { uri: { toString(): string } };
  getHeader(name: string): string;
}
interface JsSipSession {
  direction: 'incoming' | 'outgoing';
  connection: FakeRTCPeerConnection | null;
  _request: JsSipRequest;
  on(event: string, fn: (e: never) => void): void;
  answer(o: object): void;
  terminate(o?: object): void;
  sendInfo(contentType: string, body: string): void;
  renegotiate(o?: object): boolean;
  isEstablished(): boolean;
  isEnded(): boolean;
}
type SessionEvent = { originator: 'local' | 'remote' | 'system'; message?: (JsSipResponse & JsSipRequest) | null; cause?: string; response?: JsSipResponse | null };

const media = () => ({ mediaStream: new FakeMediaStream(), mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });

/** Start a JsSIP UA connected to the service (not yet registered). */
export async function createJsSipUa(o: JsSipOptions): Promise<JsSipUa> {
  installFakeWebRTC();
  const name = o.name ?? `JsSIP ${o.user}`;
  const wire = new Wire(name);
  const ctx = () => wire.dump();
  const socket = new JsSIP.WebSocketInterface(o.ws);
  // Tap the socket: JsSIP binds _onMessage at connect time, so instance overrides are picked up.
  const tapped = socket as unknown as { send(m: string): boolean; _onMessage(e: { data: unknown }): void; ondata(d: unknown): void };
  const send = tapped.send.bind(socket);
  tapped.send = (m: string) => {
    wire.record(m, 'out');
    return send(m);
  };
  tapped._onMessage = function ({ data }: { data: unknown }) {
    wire.record(data, 'in');
    this.ondata(data);
  };
  const ua = new JsSIP.UA({
    sockets: [socket],
    uri: `sip:${o.user}@${o.domain}`,
    password: o.password,
    register: false,
    register_expires: o.expires ?? 600,
    connection_recovery_min_interval: 60,
    connection_recovery_max_interval: 120,
    session_timers: false,
    user_agent: 'JsSIP e2e',
  });
  const incoming = new Queue<IncomingCall>(`an incoming call at ${name}`, ctx);
  const messages = new Queue<ReceivedMessage>(`an incoming MESSAGE at ${name}`, ctx);
  ua.on('newRTCSession', (e: { originator: string; session: unknown; request: unknown }) => {
    if (e.originator !== 'remote') return;
    incoming.push(wrapIncoming(e.session as JsSipSession, e.request as JsSipRequest, name, wire));
  });
  ua.on('newMessage', (e: { originator: string; request: unknown }) => {
    if (e.originator !== 'remote') return;
    const r = e.request as JsSipRequest;
    messages.push({ from: r.from.uri.toString(), body: r.body, contentType: r.getHeader('Content-Type') ?? undefined });
  });
  const connected = new Promise<void>((resolve, reject) => {
    ua.once('connected', () => resolve());
    setTimeout(() => reject(new Error('JsSIP did not connect')), 10_000);
  });
  ua.start();
  await connected;
  return {
    ua,
    wire,
    incoming,
    messages,
    register: () =>
      new Promise<RegistrationOutcome>((resolve) => {
        const onOk = () => {
          ua.removeListener('registrationFailed', onFail);
          resolve({ ok: true });
        };
        const onFail = (e: { cause: string; response?: { status_code: number } }) => {
          ua.removeListener('registered', onOk);
          resolve({ ok: false, cause: e.cause, status: e.response?.status_code });
        };
        ua.once('registered', onOk);
        ua.once('registrationFailed', onFail);
        ua.register();
      }),
    refresh: () => ua.register(),
    unregister: () =>
      new Promise<void>((resolve) => {
        ua.once('unregistered', () => resolve());
        ua.unregister();
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (!ua.isConnected()) return resolve();
        ua.once('disconnected', () => resolve());
        ua.stop();
        setTimeout(resolve, 3000);
      }),
    call(target) {
      const progress = new Signal<number>(`${name}: a provisional response (>100) to its INVITE to ${target}`, ctx);
      const accepted = new Signal<void>(`${name}: its INVITE to ${target} accepted (2xx, ACK sent)`, ctx);
      const failed = new Signal<CallFailure>(`${name}: its call to ${target} failed`, ctx);
      const ended = new Signal<CallEnd>(`${name}: its call to ${target} ended`, ctx);
      const session = ua.call(target, {
        ...media(),
        eventHandlers: {
          progress: (e: SessionEvent) => {
            if (e.originator === 'remote' && e.response) progress.fire(e.response.status_code);
          },
          confirmed: () => accepted.fire(),
          failed: (e: SessionEvent) => failed.fire({ status: e.message?.status_code, reason: e.message?.reason_phrase, cause: e.cause ?? '', by: e.originator }),
          ended: (e: SessionEvent) => ended.fire({ by: e.originator, cause: e.cause ?? '' }),
        },
      } as never) as unknown as JsSipSession;
      const callId = session._request.call_id;
      return {
        ...inDialog(session, callId, name, wire),
        callId,
        progress,
        accepted,
        failed,
        ended,
        finalStatus: (ms) => wire.waitFor((m) => m.dir === 'in' && m.callId === callId && m.cseqMethod === 'INVITE' && (m.status ?? 0) >= 200, `${name}: a final response to its INVITE (Call-ID ${callId})`, ms).then((m) => m.status!),
        offerSent: () => session.connection?.localSdps[0],
        answerReceived: () => session.connection?.remoteSdps[0],
        cancel: () => session.terminate(),
        bye: () => session.terminate(),
      };
    },
    sendMessage: (target, body, contentType = 'text/plain') =>
      new Promise<MessageResult>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out: ${name}'s MESSAGE to ${target} got no final response\n${wire.dump()}`)), 40_000);
        ua.sendMessage(target, body, {
          contentType,
          eventHandlers: {
            succeeded: (e: { response: JsSipResponse }) => {
              clearTimeout(timer);
              resolve({ status: e.response.status_code, reason: e.response.reason_phrase });
            },
            failed: (e: { response?: JsSipResponse | null; cause?: string }) => {
              clearTimeout(timer);
              resolve({ status: e.response?.status_code, reason: e.response?.reason_phrase ?? e.cause });
            },
          },
        } as never);
      }),
  };
}

/** INFO, re-INVITE and SDP history of an established session. */
function inDialog(session: JsSipSession, callId: string, name: string, wire: Wire): InDialog {
  const infos = new Queue<ReceivedInfo>(`${name}: an INFO in call ${callId}`, () => wire.dump());
  session.on('newInfo', (e: { originator: string; info: { contentType: string | undefined; body: string } }) => {
    if (e.originator === 'remote') infos.push({ contentType: e.info.contentType, body: e.info.body });
  });
  return {
    infos,
    sendInfo: (contentType, body) => wire.request('INFO', callId, () => session.sendInfo(contentType, body)),
    reinvite: () =>
      wire.request('INVITE', callId, () => {
        if (!session.renegotiate()) throw new Error(`${name}: JsSIP is not ready to re-offer`);
      }),
    localSdps: () => session.connection?.localSdps.slice() ?? [],
    remoteSdps: () => session.connection?.remoteSdps.slice() ?? [],
  };
}

function wrapIncoming(session: JsSipSession, request: JsSipRequest, name: string, wire: Wire): IncomingCall {
  const ctx = () => wire.dump();
  const from = request.from.uri.toString();
  const confirmed = new Signal<void>(`${name}: ACK for its 200 to the INVITE from ${from}`, ctx);
  const ended = new Signal<CallEnd>(`${name}: the incoming call from ${from} ended`, ctx);
  session.on('confirmed', () => confirmed.fire());
  session.on('failed', (e: SessionEvent) => ended.fire({ by: e.originator, cause: e.cause === JsSIP.C.causes.CANCELED ? 'canceled' : (e.cause ?? '') }));
  session.on('ended', (e: SessionEvent) => ended.fire({ by: e.originator, cause: e.cause === JsSIP.C.causes.BYE ? 'bye' : (e.cause ?? '') }));
  return {
    ...inDialog(session, request.call_id, name, wire),
    callId: request.call_id,
    from,
    offerReceived: () => request.body,
    answerSent: () => session.connection?.localSdps[0],
    remoteOfferSeenByMedia: () => session.connection?.remoteSdps[0],
    confirmed,
    ended,
    answer: () => session.answer(media()),
    reject: (status) => session.terminate({ status_code: status }),
    bye: () => session.terminate(),
  };
}
