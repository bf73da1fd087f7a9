/**
 * A real SIP.js user agent in Node (SIP.js's own WebSocket transport over Node's WebSocket), with
 * a fake SessionDescriptionHandler for calls and a tap on its connection (`wire`).
 */
import {
  Inviter,
  Messager,
  Registerer,
  RegistererState,
  SessionState,
  UserAgent,
  type Info,
  type Invitation,
  type Message,
  type Session,
} from 'sip.js';
import { FakeSessionDescriptionHandler, fakeSessionDescriptionHandlerFactory } from './fake-sdh.js';
import { Queue, Signal } from './signal.js';
import { Wire } from './wire.js';
import type { CallEnd, CallFailure, InDialog, IncomingCall, MessageResult, OutgoingCall, ReceivedInfo, ReceivedMessage } from './types.js';

/** Options of {@link createSipJsUa}. */
export interface SipJsOptions {
  ws: string;
  user: string;
  password: string;
  domain: string;
  expires?: number;
  /** Name in wire logs (default `SIP.js <user>`). */
  name?: string;
  /** Status to answer incoming MESSAGEs with (default 200). */
  messageResponse?: number;
}

/** A started SIP.js UA with one Registerer. */
export interface SipJsUa {
  ua: UserAgent;
  registerer: Registerer;
  /** Every SIP message on this UA's connection. */
  wire: Wire;
  /** Register; resolves with the final status code of the last REGISTER. */
  register(): Promise<number>;
  unregister(): Promise<void>;
  stop(): Promise<void>;
  /** Start a call (fake SDH); follow it through the returned handle. */
  call(target: string): OutgoingCall;
  /** Incoming calls (the wrapper sends 180 Ringing right away). */
  incoming: Queue<IncomingCall>;
  /** Send a MESSAGE; resolves with the final status. */
  sendMessage(target: string, body: string, contentType?: string): Promise<MessageResult>;
  /** Incoming MESSAGEs (answered with `messageResponse`). */
  messages: Queue<ReceivedMessage>;
}

/** Start a SIP.js UA connected to the service. */
export async function createSipJsUa(o: SipJsOptions): Promise<SipJsUa> {
  const uri = UserAgent.makeURI(`sip:${o.user}@${o.domain}`);
  if (!uri) throw new Error('bad uri');
  const name = o.name ?? `SIP.js ${o.user}`;
  const wire = new Wire(name);
  const ctx = () => wire.dump();
  const incoming = new Queue<IncomingCall>(`an incoming call at ${name}`, ctx);
  const messages = new Queue<ReceivedMessage>(`an incoming MESSAGE at ${name}`, ctx);
  const ua = new UserAgent({
    uri,
    transportOptions: { server: o.ws, keepAliveInterval: 0 },
    authorizationUsername: o.user,
    authorizationPassword: o.password,
    logLevel: 'error',
    userAgentString: 'SIP.js e2e',
    sessionDescriptionHandlerFactory: fakeSessionDescriptionHandlerFactory,
    delegate: {
      onInvite: (invitation) => incoming.push(wrapIncoming(invitation, name, wire)),
      onMessage: (message: Message) => {
        const r = message.request;
        messages.push({ from: r.from.uri.toString(), body: r.body, contentType: r.getHeader('Content-Type') });
        const status = o.messageResponse ?? 200;
        void (status < 300 ? message.accept({ statusCode: status }) : message.reject({ statusCode: status }));
      },
    },
  });
  // Tap the transport (the UserAgent installed its onMessage in its constructor).
  const transport = ua.transport;
  const send = transport.send.bind(transport);
  transport.send = (m: string) => {
    wire.record(m, 'out');
    return send(m);
  };
  const deliver = transport.onMessage;
  transport.onMessage = (m: string) => {
    wire.record(m, 'in');
    deliver?.(m);
  };
  await ua.start();
  const registerer = new Registerer(ua, { expires: o.expires ?? 600 });
  return {
    ua,
    registerer,
    wire,
    incoming,
    messages,
    register: () =>
      new Promise<number>((resolve, reject) => {
        registerer
          .register({
            requestDelegate: {
              onAccept: (r) => resolve(r.message.statusCode ?? 0),
              onReject: (r) => resolve(r.message.statusCode ?? 0),
            },
          })
          .catch(reject);
      }),
    unregister: () =>
      new Promise<void>((resolve, reject) => {
        const listener = (s: RegistererState) => {
          if (s === RegistererState.Unregistered) {
            registerer.stateChange.removeListener(listener);
            resolve();
          }
        };
        registerer.stateChange.addListener(listener);
        registerer.unregister().catch(reject);
      }),
    stop: () => ua.stop(),
    call(target) {
      const targetUri = UserAgent.makeURI(target);
      if (!targetUri) throw new Error(`bad target ${target}`);
      const progress = new Signal<number>(`${name}: a provisional response (>100) to its INVITE to ${target}`, ctx);
      const accepted = new Signal<void>(`${name}: its INVITE to ${target} accepted (2xx, ACK sent)`, ctx);
      const failed = new Signal<CallFailure>(`${name}: its call to ${target} failed`, ctx);
      const ended = new Signal<CallEnd>(`${name}: its call to ${target} ended`, ctx);
      const inviter = new Inviter(ua, targetUri);
      let byeReceived = false;
      const dialog = inDialog(inviter, name, wire);
      inviter.delegate = {
        onInfo: dialog.onInfo,
        onBye: (bye) => {
          byeReceived = true;
          void bye.accept(); // a delegate's onBye must answer the BYE itself
        },
      };
      inviter.stateChange.addListener((s) => {
        if (s === SessionState.Established) accepted.fire();
        if (s === SessionState.Terminated && accepted.fired) {
          ended.fire(byeReceived ? { by: 'remote', cause: 'bye' } : { by: 'local', cause: 'terminated' });
        }
      });
      inviter
        .invite({
          requestDelegate: {
            onProgress: (r) => {
              if ((r.message.statusCode ?? 0) > 100) progress.fire(r.message.statusCode!);
            },
            onReject: (r) =>
              failed.fire({ status: r.message.statusCode, reason: r.message.reasonPhrase, cause: r.message.reasonPhrase ?? '', by: 'remote' }),
          },
        })
        .catch((err: unknown) => failed.fire({ status: undefined, reason: undefined, cause: String(err), by: 'local' }));
      const sdh = () => inviter.sessionDescriptionHandler as FakeSessionDescriptionHandler | undefined;
      const callId = inviter.request.callId;
      return {
        ...dialog.ops,
        callId,
        progress,
        accepted,
        failed,
        ended,
        finalStatus: (ms) =>
          wire
            .waitFor((m) => m.dir === 'in' && m.callId === callId && m.cseqMethod === 'INVITE' && (m.status ?? 0) >= 200, `${name}: a final response to its INVITE (Call-ID ${callId})`, ms)
            .then((m) => m.status!),
        offerSent: () => sdh()?.localSdps[0],
        answerReceived: () => sdh()?.remoteSdps[0],
        cancel: () => void inviter.cancel(),
        bye: () => void inviter.bye(),
      };
    },
    sendMessage: (target, body, contentType = 'text/plain') =>
      new Promise<MessageResult>((resolve, reject) => {
        const targetUri = UserAgent.makeURI(target);
        if (!targetUri) return reject(new Error(`bad target ${target}`));
        const timer = setTimeout(() => reject(new Error(`timed out: ${name}'s MESSAGE to ${target} got no final response\n${wire.dump()}`)), 40_000);
        const done = (r: { message: { statusCode?: number; reasonPhrase?: string } }) => {
          clearTimeout(timer);
          resolve({ status: r.message.statusCode, reason: r.message.reasonPhrase });
        };
        new Messager(ua, targetUri, body, contentType).message({ requestDelegate: { onAccept: done, onReject: done } }).catch((err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        });
      }),
  };
}

/** INFO, re-INVITE and SDP history of a session. */
function inDialog(session: Session & { request: { callId: string } }, name: string, wire: Wire): { ops: InDialog; onInfo: (info: Info) => void } {
  const callId = session.request.callId;
  const infos = new Queue<ReceivedInfo>(`${name}: an INFO in call ${callId}`, () => wire.dump());
  const sdh = () => session.sessionDescriptionHandler as FakeSessionDescriptionHandler | undefined;
  return {
    onInfo: (info) => {
      infos.push({ contentType: info.request.getHeader('Content-Type'), body: info.request.body });
      void info.accept();
    },
    ops: {
      infos,
      sendInfo: (contentType, body) =>
        wire.request('INFO', callId, () => void session.info({ requestOptions: { body: { contentDisposition: 'render', contentType, content: body } } }).catch(() => undefined)),
      reinvite: () => wire.request('INVITE', callId, () => void session.invite().catch(() => undefined)),
      localSdps: () => sdh()?.localSdps.slice() ?? [],
      remoteSdps: () => sdh()?.remoteSdps.slice() ?? [],
    },
  };
}

function wrapIncoming(invitation: Invitation, name: string, wire: Wire): IncomingCall {
  const from = invitation.remoteIdentity.uri.toString();
  const callId = invitation.request.callId;
  const ctx = () => wire.dump();
  const confirmed = new Signal<void>(`${name}: ACK for its 200 to the INVITE from ${from}`, ctx);
  const ended = new Signal<CallEnd>(`${name}: the incoming call from ${from} ended`, ctx);
  let why: CallEnd | undefined;
  // SIP.js has no event for the ACK of our 2xx: watch for it on the wire.
  wire.onMessage((m) => {
    if (m.dir === 'in' && m.method === 'ACK' && m.callId === callId) confirmed.fire();
  });
  const dialog = inDialog(invitation, name, wire);
  invitation.delegate = {
    onInfo: dialog.onInfo,
    onCancel: () => (why = { by: 'remote', cause: 'canceled' }),
    onBye: (bye) => {
      why = { by: 'remote', cause: 'bye' };
      void bye.accept(); // a delegate's onBye must answer the BYE itself
    },
  };
  invitation.stateChange.addListener((s) => {
    if (s === SessionState.Terminated) ended.fire(why ?? { by: 'local', cause: 'terminated' });
  });
  // (SIP.js has already sent 180 Ringing before handing us the invitation.)
  const sdh = () => invitation.sessionDescriptionHandler as FakeSessionDescriptionHandler | undefined;
  return {
    ...dialog.ops,
    callId,
    from,
    offerReceived: () => invitation.request.body,
    answerSent: () => sdh()?.localSdps[0],
    confirmed,
    ended,
    answer: () => void invitation.accept().catch(() => undefined),
    reject: (status) => {
      why = { by: 'local', cause: `rejected ${status}` };
      void invitation.reject({ statusCode: status }).catch(() => undefined);
    },
    bye: () => {
      why = { by: 'local', cause: 'bye' };
      void invitation.bye().catch(() => undefined);
    },
  };
}
