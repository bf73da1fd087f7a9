/**
 * Just enough WebRTC for JsSIP's RTCSession in Node: a fake RTCPeerConnection that produces a
 * canned but unique SDP per description (random session id and an `a=x-test:<uuid>` line), keeps
 * the offer/answer signalling state like a real one, "gathers" ICE (one null candidate), and
 * records the descriptions it was given so tests can compare what each side sent and received.
 */
import { randomUUID } from 'node:crypto';

/** A canned SDP, unique per call (session id and x-test line), parseable by sdp-transform. */
export function makeSdp(kind: 'offer' | 'answer'): string {
  const sessionId = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  return [
    'v=0',
    `o=- ${sessionId} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    `a=x-test:${randomUUID()}`,
    `a=x-kind:${kind}`,
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:e2eT',
    `a=ice-pwd:${randomUUID().replaceAll('-', '')}`,
    'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
    `a=setup:${kind === 'offer' ? 'actpass' : 'active'}`,
    'a=mid:0',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
}

export type SdpType = 'offer' | 'answer' | 'pranswer' | 'rollback';

/** Fake RTCSessionDescription. */
export class FakeRTCSessionDescription {
  readonly type: SdpType;
  readonly sdp: string;
  constructor(init: { type: SdpType; sdp?: string }) {
    this.type = init.type;
    this.sdp = init.sdp ?? '';
  }
  toJSON() {
    return { type: this.type, sdp: this.sdp };
  }
}

/** Fake MediaStream without tracks (JsSIP then never calls getUserMedia). */
export class FakeMediaStream {
  readonly id = randomUUID();
  readonly active = true;
  getTracks(): unknown[] {
    return [];
  }
  getAudioTracks(): unknown[] {
    return [];
  }
  getVideoTracks(): unknown[] {
    return [];
  }
  addTrack(): void {}
  removeTrack(): void {}
  clone(): FakeMediaStream {
    return new FakeMediaStream();
  }
}

class InvalidStateError extends Error {
  override name = 'InvalidStateError';
}

type Signaling = 'stable' | 'have-local-offer' | 'have-remote-offer' | 'closed';

/** Every fake peer connection created, in order (for debugging). */
export const peerConnections: FakeRTCPeerConnection[] = [];

/** Fake RTCPeerConnection: SDP negotiation state only, no media. */
export class FakeRTCPeerConnection extends EventTarget {
  signalingState: Signaling = 'stable';
  iceGatheringState: 'new' | 'gathering' | 'complete' = 'new';
  iceConnectionState: 'new' | 'checking' | 'connected' | 'closed' = 'new';
  connectionState: 'new' | 'connected' | 'closed' = 'new';
  localDescription: FakeRTCSessionDescription | null = null;
  remoteDescription: FakeRTCSessionDescription | null = null;
  currentLocalDescription: FakeRTCSessionDescription | null = null;
  currentRemoteDescription: FakeRTCSessionDescription | null = null;
  pendingLocalDescription: FakeRTCSessionDescription | null = null;
  pendingRemoteDescription: FakeRTCSessionDescription | null = null;
  /** Every SDP this connection produced / was given, in order. */
  readonly localSdps: string[] = [];
  readonly remoteSdps: string[] = [];
  onicecandidate: ((e: Event) => void) | null = null;
  onicegatheringstatechange: ((e: Event) => void) | null = null;
  oniceconnectionstatechange: ((e: Event) => void) | null = null;
  onsignalingstatechange: ((e: Event) => void) | null = null;
  ontrack: ((e: Event) => void) | null = null;
  onnegotiationneeded: ((e: Event) => void) | null = null;
  private senders: { track: unknown; dtmf: null; replaceTrack(): Promise<void> }[] = [];

  constructor(readonly configuration?: unknown) {
    super();
    peerConnections.push(this);
  }

  private emit(type: string, extra: Record<string, unknown> = {}): void {
    const e = Object.assign(new Event(type), extra);
    const handler = (this as unknown as Record<string, unknown>)[`on${type}`];
    if (typeof handler === 'function') handler.call(this, e);
    this.dispatchEvent(e);
  }

  private setSignaling(s: Signaling): void {
    if (this.signalingState === s) return;
    this.signalingState = s;
    this.emit('signalingstatechange');
  }

  private checkOpen(): void {
    if (this.signalingState === 'closed') throw new InvalidStateError('RTCPeerConnection is closed');
  }

  async createOffer(_options?: unknown): Promise<FakeRTCSessionDescription> {
    this.checkOpen();
    return new FakeRTCSessionDescription({ type: 'offer', sdp: makeSdp('offer') });
  }

  async createAnswer(_options?: unknown): Promise<FakeRTCSessionDescription> {
    this.checkOpen();
    if (this.signalingState !== 'have-remote-offer') throw new InvalidStateError(`createAnswer in state ${this.signalingState}`);
    return new FakeRTCSessionDescription({ type: 'answer', sdp: makeSdp('answer') });
  }

  async setLocalDescription(desc?: { type: SdpType; sdp?: string }): Promise<void> {
    this.checkOpen();
    const d = desc ?? (this.signalingState === 'have-remote-offer' ? await this.createAnswer() : await this.createOffer());
    const description = new FakeRTCSessionDescription(d);
    if (description.type === 'offer') {
      if (this.signalingState !== 'stable' && this.signalingState !== 'have-local-offer') {
        throw new InvalidStateError(`setLocalDescription(offer) in state ${this.signalingState}`);
      }
      this.localDescription = this.pendingLocalDescription = description;
      this.setSignaling('have-local-offer');
    } else if (description.type === 'answer' || description.type === 'pranswer') {
      if (this.signalingState !== 'have-remote-offer') throw new InvalidStateError(`setLocalDescription(answer) in state ${this.signalingState}`);
      this.localDescription = this.currentLocalDescription = description;
      this.currentRemoteDescription = this.remoteDescription;
      this.pendingLocalDescription = this.pendingRemoteDescription = null;
      if (description.type === 'answer') this.setSignaling('stable');
    } else {
      this.localDescription = this.currentLocalDescription;
      this.pendingLocalDescription = null;
      this.setSignaling('stable');
      return;
    }
    this.localSdps.push(description.sdp);
    this.gather();
  }

  async setRemoteDescription(desc: { type: SdpType; sdp?: string }): Promise<void> {
    this.checkOpen();
    const description = new FakeRTCSessionDescription(desc);
    if (!description.sdp.startsWith('v=0')) throw new Error(`setRemoteDescription: not an SDP: ${JSON.stringify(description.sdp.slice(0, 40))}`);
    if (description.type === 'offer') {
      if (this.signalingState !== 'stable' && this.signalingState !== 'have-remote-offer') {
        throw new InvalidStateError(`setRemoteDescription(offer) in state ${this.signalingState}`);
      }
      this.remoteDescription = this.pendingRemoteDescription = description;
      this.setSignaling('have-remote-offer');
    } else if (description.type === 'answer' || description.type === 'pranswer') {
      if (this.signalingState !== 'have-local-offer') throw new InvalidStateError(`setRemoteDescription(answer) in state ${this.signalingState}`);
      this.remoteDescription = this.currentRemoteDescription = description;
      this.currentLocalDescription = this.localDescription;
      this.pendingLocalDescription = this.pendingRemoteDescription = null;
      if (description.type === 'answer') {
        this.setSignaling('stable');
        this.iceConnectionState = 'connected';
        this.connectionState = 'connected';
      }
    } else {
      this.remoteDescription = this.currentRemoteDescription;
      this.pendingRemoteDescription = null;
      this.setSignaling('stable');
      return;
    }
    this.remoteSdps.push(description.sdp);
  }

  /** Gather once: state "gathering", then (asynchronously) a null candidate and "complete". */
  private gather(): void {
    if (this.iceGatheringState !== 'new') return;
    this.iceGatheringState = 'gathering';
    this.emit('icegatheringstatechange');
    setTimeout(() => {
      if (this.signalingState === 'closed') return;
      this.iceGatheringState = 'complete';
      this.emit('icecandidate', { candidate: null });
      this.emit('icegatheringstatechange');
    }, 5);
  }

  async addIceCandidate(_c?: unknown): Promise<void> {}

  addTrack(track: unknown, ..._streams: unknown[]) {
    const sender = { track, dtmf: null, replaceTrack: async () => undefined };
    this.senders.push(sender);
    return sender;
  }

  removeTrack(sender: unknown): void {
    this.senders = this.senders.filter((s) => s !== sender);
  }

  getSenders() {
    return this.senders.slice();
  }

  getReceivers(): unknown[] {
    return [];
  }

  getTransceivers(): unknown[] {
    return [];
  }

  getLocalStreams(): unknown[] {
    return [];
  }

  getRemoteStreams(): unknown[] {
    return [];
  }

  async getStats(): Promise<Map<string, unknown>> {
    return new Map();
  }

  getConfiguration(): unknown {
    return this.configuration ?? {};
  }

  close(): void {
    if (this.signalingState === 'closed') return;
    this.signalingState = 'closed';
    this.iceConnectionState = 'closed';
    this.connectionState = 'closed';
  }
}

let installed = false;

/**
 * Install the fakes as globals. JsSIP reads the free variables `window.RTCPeerConnection`,
 * `RTCPeerConnection` and `RTCSessionDescription`; `window` is only created if absent and only
 * carries these (so libraries sniffing for a browser see little of it).
 */
export function installFakeWebRTC(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as Record<string, unknown>;
  g.RTCPeerConnection = FakeRTCPeerConnection;
  g.RTCSessionDescription = FakeRTCSessionDescription;
  g.MediaStream ??= FakeMediaStream;
  if (g.window === undefined) g.window = { RTCPeerConnection: FakeRTCPeerConnection, RTCSessionDescription: FakeRTCSessionDescription };
  else Object.assign(g.window as object, { RTCPeerConnection: FakeRTCPeerConnection, RTCSessionDescription: FakeRTCSessionDescription });
}
