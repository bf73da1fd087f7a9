/**
 * The REGISTER every load generator sends (WebSocket and UDP alike): one Call-ID per user agent, a rising
 * CSeq, Expires 600, digest credentials when answering a 401.
 * @module
 */

/** Fields of one REGISTER. */
export interface RegisterText {
  domain: string;
  /** The Via value after `SIP/2.0/`: transport, sent-by and parameters. */
  via: string;
  user: string;
  callId: string;
  cseq: number;
  contact: string;
  authorization: string | null;
  userAgent: string;
}

/** The REGISTER as text, CRLF line ends, no body. */
export function registerText(r: RegisterText): string {
  return [
    `REGISTER sip:${r.domain} SIP/2.0`,
    `Via: SIP/2.0/${r.via}`,
    'Max-Forwards: 70',
    `To: <sip:${r.user}@${r.domain}>`,
    `From: <sip:${r.user}@${r.domain}>;tag=${r.callId.slice(0, 8)}`,
    `Call-ID: ${r.callId}`,
    `CSeq: ${r.cseq} REGISTER`,
    `Contact: ${r.contact}`,
    'Expires: 600',
    ...(r.authorization ? [`Authorization: ${r.authorization}`] : []),
    `User-Agent: ${r.userAgent}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
