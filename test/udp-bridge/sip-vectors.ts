/** Hand-written SIP datagrams for the bridge tests. */

/** A GB28181-style REGISTER from a camera; `branch` names the transaction. */
export function register(branch: string, opts: { cseq?: number; port?: number } = {}): string {
  return [
    'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
    `Via: SIP/2.0/UDP 192.168.1.64:${opts.port ?? 5060};rport;branch=${branch}`,
    'From: <sip:34020000001320000001@3402000000>;tag=cam1',
    'To: <sip:34020000001320000001@3402000000>',
    'Call-ID: reg-1@192.168.1.64',
    `CSeq: ${opts.cseq ?? 1} REGISTER`,
    'Contact: <sip:34020000001320000001@192.168.1.64:5060>',
    'Max-Forwards: 70',
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** A response to a request built by {@link register} or {@link invite}. */
export function response(status: number, reason: string, branch: string, method: string, extra: string[] = []): string {
  return [
    `SIP/2.0 ${status} ${reason}`,
    `Via: SIP/2.0/UDP 192.168.1.64:5060;rport=40000;received=203.0.113.9;branch=${branch}`,
    'From: <sip:34020000001320000001@3402000000>;tag=cam1',
    'To: <sip:34020000001320000001@3402000000>;tag=srv1',
    'Call-ID: reg-1@192.168.1.64',
    `CSeq: 1 ${method}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** An INVITE, or the ACK of the same transaction (same branch) when `method` is ACK. */
export function invite(branch: string, method: 'INVITE' | 'ACK' = 'INVITE'): string {
  return [
    `${method} sip:34020000001320000001@3402000000 SIP/2.0`,
    `Via: SIP/2.0/UDP 192.168.1.64:5060;branch=${branch}`,
    'From: <sip:34020000001320000001@3402000000>;tag=cam1',
    'To: <sip:34020000001320000001@3402000000>',
    'Call-ID: inv-1@192.168.1.64',
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
