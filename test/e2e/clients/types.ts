/**
 * The common shape of calls and messages for both JsSIP and SIP.js wrappers, so tests read the
 * same whichever library is on either end.
 */
import type { Signal } from './signal.js';

/** A call that failed before being established. */
export interface CallFailure {
  /** Status of the final response, where the library reports one (not for a local CANCEL). */
  status: number | undefined;
  reason: string | undefined;
  /** The library's cause (JsSIP: 'Canceled', 'Busy', 'Not Found', …; SIP.js: the reason phrase). */
  cause: string;
  by: 'local' | 'remote' | 'system';
}

/** How a call or an incoming ringing session ended. 'canceled' and 'bye' are normalised. */
export interface CallEnd {
  by: 'local' | 'remote' | 'system';
  cause: string;
}

/** Our side of a call we placed. */
export interface OutgoingCall {
  callId: string;
  /** First provisional response above 100 (e.g. 180 Ringing). */
  progress: Signal<number>;
  /** 2xx received and ACKed. */
  accepted: Signal<void>;
  /** Failed before being established. */
  failed: Signal<CallFailure>;
  /** Ended after being established (BYE from either side). */
  ended: Signal<CallEnd>;
  /** The final response to the INVITE as seen on this UA's connection. */
  finalStatus(ms?: number): Promise<number>;
  /** The SDP offer we sent. */
  offerSent(): string | undefined;
  /** The SDP answer we received. */
  answerReceived(): string | undefined;
  /** CANCEL (before answer). */
  cancel(): void;
  /** BYE (after answer). */
  bye(): void;
}

/** Our side of a call we received. */
export interface IncomingCall {
  callId: string;
  from: string;
  /** The SDP offer as received in the INVITE. */
  offerReceived(): string | undefined;
  /** The SDP answer we sent. */
  answerSent(): string | undefined;
  /** For JsSIP: the offer as given to the (fake) peer connection, once answered. */
  remoteOfferSeenByMedia?(): string | undefined;
  /** ACK received for our 2xx. */
  confirmed: Signal<void>;
  /** Ended for whatever reason: cause 'canceled' (CANCEL), 'bye' (BYE received) or the library's. */
  ended: Signal<CallEnd>;
  answer(): void;
  reject(status: number): void;
  bye(): void;
}

/** Final answer to a MESSAGE we sent. */
export interface MessageResult {
  status: number | undefined;
  reason: string | undefined;
}

/** A MESSAGE we received. */
export interface ReceivedMessage {
  from: string;
  body: string;
  contentType: string | undefined;
}
