/**
 * Softphone: JsSIP (bundled, nothing from a CDN) registers as one of the users over `/sip` on this host, calls
 * another user with WebRTC audio, answers calls and sends and receives MESSAGE. The AOR comes from
 * `GET /users/{user}`; the password is the user's SIP password (the admin token is not sent over SIP).
 * @module
 */
import JsSIP from 'jssip';
import { api } from '../api.js';
import { clock, field, h, notice, replace } from '../dom.js';
import type { View } from '../view.js';

// The parts of JsSIP's objects used here (its typings lean on Node's events).
interface Session {
  direction: 'incoming' | 'outgoing';
  remote_identity: { uri: { toString(): string } };
  connection: RTCPeerConnection | null;
  on(event: string, fn: (e: { cause?: string; originator?: string; peerconnection?: RTCPeerConnection }) => void): void;
  answer(o: object): void;
  terminate(): void;
  isEnded(): boolean;
}
interface Ua {
  on(event: string, fn: (e: never) => void): void;
  start(): void;
  stop(): void;
  call(target: string, o: object): Session;
  sendMessage(target: string, body: string, o: object): void;
}

const MEDIA = { mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] }, rtcOfferConstraints: { offerToReceiveAudio: true } };

/** The Softphone page. */
export function softphoneView(): View {
  const note = notice();
  const user = h('input', { name: 'sip-user', placeholder: 'alice', required: true });
  const password = h('input', { name: 'sip-password', type: 'password', required: true });
  const regState = h('p', { class: 'reg-state', dataset: { state: 'off' } }, 'not registered');
  const target = h('input', { name: 'target', placeholder: 'bob or sip:bob@domain', required: true });
  const callState = h('p', { class: 'call-state', dataset: { state: 'idle' } }, 'no call');
  const incoming = h('div', { class: 'incoming' });
  const audio = h('audio', { autoplay: true });
  const msgText = h('input', { name: 'message', placeholder: 'message text', required: true });
  const log = h('ol', { class: 'messages-log' });
  let ua: Ua | null = null;
  let domain = '';
  let session: Session | null = null;

  const uri = (t: string) => (/^sips?:/.test(t) ? t : `sip:${t}@${domain}`);
  const setReg = (state: string, textContent: string) => {
    regState.dataset.state = state;
    regState.textContent = textContent;
  };
  const setCall = (state: string, textContent: string) => {
    callState.dataset.state = state;
    callState.textContent = textContent;
  };
  const entry = (dir: string, who: string, body: string) => log.append(h('li', { class: dir }, `${clock(Date.now())} ${dir === 'in' ? '←' : '→'} ${who}: `, body));

  const track = (s: Session) => {
    session = s;
    const peer = s.remote_identity.uri.toString();
    const playFrom = (pc: RTCPeerConnection) => pc.addEventListener('track', (e) => {
      audio.srcObject = e.streams[0] ?? new MediaStream([e.track]);
    });
    if (s.connection) playFrom(s.connection);
    else s.on('peerconnection', (e) => e.peerconnection && playFrom(e.peerconnection));
    s.on('progress', () => setCall('ringing', `ringing ${peer}`));
    s.on('accepted', () => setCall('accepted', `answered by ${peer}`));
    s.on('confirmed', () => setCall('confirmed', `in call with ${peer}`));
    s.on('ended', (e) => {
      setCall('ended', `call ended (${e.cause})`);
      replace(incoming);
    });
    s.on('failed', (e) => {
      setCall('failed', `call failed (${e.cause})`);
      replace(incoming);
    });
  };

  const register = async (e: Event) => {
    e.preventDefault();
    ua?.stop();
    try {
      const { aor } = await api<{ aor: string }>(`/users/${encodeURIComponent(user.value)}`);
      domain = aor.split('@')[1] ?? '';
      const ws = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sip`;
      const u = new JsSIP.UA({ sockets: [new JsSIP.WebSocketInterface(ws)], uri: aor, password: password.value, register: true, session_timers: false }) as unknown as Ua;
      ua = u;
      setReg('connecting', `registering ${aor}…`);
      u.on('registered', () => setReg('registered', `registered as ${aor}`));
      u.on('unregistered', () => setReg('off', 'not registered'));
      u.on('registrationFailed', (ev: { cause: string }) => setReg('failed', `registration failed: ${ev.cause}`));
      u.on('newMessage', (ev: { originator: string; request: { body: string; from: { uri: { toString(): string } } } }) => {
        if (ev.originator === 'remote') entry('in', ev.request.from.uri.toString(), ev.request.body);
      });
      u.on('newRTCSession', (ev: { originator: string; session: Session }) => {
        if (ev.originator !== 'remote') return;
        if (session && !session.isEnded()) return; // busy: JsSIP answers 486 when it is not answered
        const s = ev.session;
        track(s);
        setCall('incoming', `incoming call from ${s.remote_identity.uri.toString()}`);
        replace(incoming,
          h('button', { type: 'button', onclick: () => { s.answer(MEDIA); replace(incoming); } }, 'Answer'),
          h('button', { type: 'button', class: 'danger', onclick: () => s.terminate() }, 'Decline'));
      });
      u.start();
    } catch (err) {
      note.error(err);
    }
  };

  return {
    el: h('div', null,
      h('form', { class: 'inline', onsubmit: register }, field('User', user), field('SIP password', password), h('button', { type: 'submit' }, 'Register'),
        h('button', { type: 'button', onclick: () => { ua?.stop(); ua = null; setReg('off', 'not registered'); } }, 'Unregister')),
      regState, note.el,
      h('h3', null, 'Call'),
      h('form', { class: 'inline', onsubmit: (e: Event) => {
        e.preventDefault();
        if (!ua) return note.error('register first');
        setCall('calling', `calling ${uri(target.value)}…`);
        track(ua.call(uri(target.value), MEDIA));
      } }, field('To', target), h('button', { type: 'submit' }, 'Call'),
        h('button', { type: 'button', onclick: () => session && !session.isEnded() && session.terminate() }, 'Hang up')),
      callState, incoming, audio,
      h('h3', null, 'Messages'),
      h('form', { class: 'inline', onsubmit: (e: Event) => {
        e.preventDefault();
        if (!ua) return note.error('register first');
        const to = uri(target.value);
        const body = msgText.value;
        ua.sendMessage(to, body, { eventHandlers: {
          succeeded: () => entry('out', to, body),
          failed: (ev: { cause: string }) => note.error(`MESSAGE to ${to} failed: ${ev.cause}`),
        } });
        msgText.value = '';
      } }, field('Text (to the user above)', msgText), h('button', { type: 'submit' }, 'Send')),
      log),
    dispose: () => ua?.stop(),
  };
}
