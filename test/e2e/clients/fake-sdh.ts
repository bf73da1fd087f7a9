/**
 * A fake SIP.js SessionDescriptionHandler: no media, the same canned unique SDP as the fake
 * WebRTC of JsSIP, and a record of what it produced and received.
 */
import type { BodyAndContentType, Session, SessionDescriptionHandler, SessionDescriptionHandlerFactory } from 'sip.js';
import { makeSdp } from './fake-webrtc.js';

/** SessionDescriptionHandler that only plays offer/answer with canned SDPs. */
export class FakeSessionDescriptionHandler implements SessionDescriptionHandler {
  /** Every SDP this handler produced / was given, in order. */
  readonly localSdps: string[] = [];
  readonly remoteSdps: string[] = [];
  /** Offer/answer state. */
  private pending: 'none' | 'local-offer' | 'remote-offer' = 'none';
  closed = false;

  constructor(readonly session: Session) {}

  get localSdp(): string | undefined {
    return this.localSdps.at(-1);
  }

  get remoteSdp(): string | undefined {
    return this.remoteSdps.at(-1);
  }

  close(): void {
    this.closed = true;
  }

  async getDescription(): Promise<BodyAndContentType> {
    if (this.closed) throw new Error('SessionDescriptionHandler closed');
    const kind = this.pending === 'remote-offer' ? 'answer' : 'offer';
    const body = makeSdp(kind);
    this.pending = kind === 'answer' ? 'none' : 'local-offer';
    this.localSdps.push(body);
    return { body, contentType: 'application/sdp' };
  }

  hasDescription(contentType: string): boolean {
    return contentType.split(';')[0]!.trim().toLowerCase() === 'application/sdp';
  }

  async setDescription(sdp: string): Promise<void> {
    if (this.closed) throw new Error('SessionDescriptionHandler closed');
    if (!sdp.startsWith('v=0')) throw new Error(`not an SDP: ${JSON.stringify(sdp.slice(0, 40))}`);
    this.pending = this.pending === 'local-offer' ? 'none' : 'remote-offer';
    this.remoteSdps.push(sdp);
  }

  async rollbackDescription(): Promise<void> {
    this.pending = 'none';
  }

  sendDtmf(): boolean {
    return false;
  }
}

/** Factory for UserAgentOptions.sessionDescriptionHandlerFactory. */
export const fakeSessionDescriptionHandlerFactory: SessionDescriptionHandlerFactory = (session) => new FakeSessionDescriptionHandler(session);
