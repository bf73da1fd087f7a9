/**
 * The common shape of calls and messages for both JsSIP and SIP.js wrappers, so tests read the
 * same whichever library is on either end.
 */
import type { Queue, Signal } from './signal.js';

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

/** An INFO received in a dialog. */
export interface ReceivedInfo {
  contentType: string | undefined;
  body: string;
}

/** In-dialog requests (after the call is established) and the SDP history. */
export interface InDialog {
  /** Send an INFO; resolves with its final status. */
  sendInfo(contentType: string, body: string): Promise<number>;
  /** Send a re-INVITE with a new offer; resolves with its final status. */
  reinvite(): Promise<number>;
  /** INFOs received in this dialog (answered 200). */
  infos: Queue<ReceivedInfo>;
  /** Every SDP this side produced, in order (offer/answer, then re-offers/re-answers). */
  localSdps(): string[];
  /** Every SDP this side received, in order. */
  remoteSdps(): string[];
}

/** Our side of a call we placed. */
export interface OutgoingCall extends InDialog {
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
export interface IncomingCall extends InDialog {
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
