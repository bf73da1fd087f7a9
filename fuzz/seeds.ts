/**
 * What the fuzzer mutates: the RFC 4475/5118 torture corpus and the GB/T 28181 example messages as published
 * (static seeds), and messages built for one flow's own identity (live seeds: its REGISTER, a REGISTER with
 * valid credentials for the nonce it was last given, OPTIONS, a MESSAGE or INVITE to another fuzzing user, GB
 * keepalives and Catalog answers), so that mutations also reach the registrar, the proxy and the GB parsers
 * behind the checks a stranger's message stops at.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeDigestResponse, computeHA1 } from '../src/auth/digest.js';
import { formatCredentials } from '../src/sip/auth-header.js';
import type { Rng } from './prng.js';

/** Repository root. */
export const ROOT = join(import.meta.dirname, '..');
export const DOMAIN = 'edge-sip.test';
/** The GB/T 28181 platform of wrangler.toml and its realm. */
export const GB_PLATFORM = '34020000002000000001';
export const GB_REALM = '3402000000';

/** A message to mutate; `post` runs after the mutation (it inserts credentials that must stay intact). */
export interface Seed {
  name: string;
  bytes: Buffer;
  post?: (mutated: Buffer) => Buffer;
}

/** The torture corpus (RFC 5118 files also in their CRLF wire form) and the GB/T 28181 examples. */
export function staticSeeds(): Seed[] {
  const conf = join(ROOT, 'test/fixtures/conformance');
  const manifest = JSON.parse(readFileSync(join(conf, 'manifest.json'), 'utf8')) as { messages: { file: string; name: string; lineEnding: string }[] };
  const out: Seed[] = [];
  for (const m of manifest.messages) {
    const raw = readFileSync(join(conf, m.file));
    out.push({ name: m.name, bytes: raw });
    if (m.lineEnding === 'LF') out.push({ name: `${m.name}-crlf`, bytes: Buffer.from(raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1') });
  }
  // The same bytes as ../shared/examples/gb28181/ (kept in the repository so the fuzzer runs without it).
  const gb = join(ROOT, 'test/gb28181/fixtures');
  for (const f of ['01-register.sip', '02-register-401.sip', '03-register-auth.sip', '04-register-200.sip', '05-keepalive.sip', '06-catalog-query.sip', '07-catalog-response.gb2312.sip']) {
    out.push({ name: `gb-${f.replace(/\.sip$/, '')}`, bytes: readFileSync(join(gb, f)) });
  }
  const ptz = readFileSync(join(gb, '08-ptz-body.xml'));
  out.push({
    name: 'gb-08-ptz-control',
    bytes: Buffer.concat([Buffer.from(
      `MESSAGE sip:34020000001320000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bK77001\r\n` +
        `From: <sip:${GB_PLATFORM}@${GB_REALM}>;tag=ptz1\r\nTo: <sip:34020000001320000001@3402000000>\r\nCall-ID: ptz1@198.51.100.10\r\n` +
        `CSeq: 30 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: Application/MANSCDP+xml\r\nContent-Length: ${ptz.length}\r\n\r\n`, 'latin1'), ptz]),
  });
  return out;
}

/** Who a flow is: what it registers as, and where it says it is. */
export interface Identity {
  transport: 'WS' | 'UDP';
  /** `sip`: a provisioned user; `gb`: a GB/T 28181 camera (GB_PASSWORD); `anon`: never registers. */
  kind: 'sip' | 'gb' | 'anon';
  user: string;
  password: string;
  /** Via sent-by: `<random>.invalid` on a WebSocket, `ip:port` over UDP. */
  sentBy: string;
  /** Other fuzzing users' names (MESSAGE and INVITE targets). */
  peers: readonly string[];
}

/** A dialog this flow's INVITE set up (from the 2xx), for in-dialog requests through the proxy's Record-Route. */
export interface Dialog {
  target: string;
  routes: string[];
  from: string;
  to: string;
  callId: string;
  cseq: number;
}

/** The INVITE last sent, as built (a CANCEL names its transaction). */
export interface SentInvite {
  uri: string;
  via: string;
  from: string;
  to: string;
  callId: string;
}

/** A flow's live state the templates read (the nonce of its last challenge, counters, its INVITEs and dialogs). */
export interface FlowState {
  callId: string;
  cseq: number;
  nonce: string | null;
  nc: number;
  serial: number;
  lastInvite?: SentInvite;
  dialogs?: Dialog[];
}

const lines = (ls: string[]) => Buffer.from(`${ls.join('\r\n')}\r\n`, 'latin1');

/** The Request-URI and domain a flow registers with. */
export function registrar(id: Identity): { uri: string; domain: string } {
  return id.kind === 'gb' ? { uri: `sip:${GB_PLATFORM}@${GB_REALM}`, domain: GB_REALM } : { uri: `sip:${DOMAIN}`, domain: DOMAIN };
}

/** The flow's REGISTER (valid), with `authorization` when given. */
export function registerMessage(id: Identity, st: FlowState, branch: string, o: { authorization?: string; expires?: number } = {}): Buffer {
  const { uri, domain } = registrar(id);
  const transport = id.transport === 'WS' ? ';transport=ws' : '';
  return lines([
    `REGISTER ${uri} SIP/2.0`,
    `Via: SIP/2.0/${id.transport} ${id.sentBy};rport;branch=${branch}`,
    'Max-Forwards: 70',
    `From: <sip:${id.user}@${domain}>;tag=f${st.callId.slice(0, 8)}`,
    `To: <sip:${id.user}@${domain}>`,
    `Call-ID: ${st.callId}`,
    `CSeq: ${++st.cseq} REGISTER`,
    `Contact: <sip:${id.user}@${id.sentBy}${transport}>`,
    `Expires: ${o.expires ?? 600}`,
    ...(o.authorization ? [`Authorization: ${o.authorization}`] : []),
    ...(id.kind === 'gb' ? ['X-GB-Ver: 3.0'] : []),
    'User-Agent: edge-sip-fuzz',
    'Content-Length: 0',
    '',
  ]);
}

/** Digest credentials (MD5, qop=auth) for `nonce` at count `nc`, over the flow's registrar URI. */
export function credentials(id: Identity, nonce: string, nc: number, cnonce: string): string {
  const { uri, domain } = registrar(id);
  const ncText = nc.toString(16).padStart(8, '0');
  const ha1 = computeHA1('MD5', id.user, domain, id.password);
  const response = computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri, nonce, qop: 'auth', nc: ncText, cnonce });
  return formatCredentials({ username: id.user, realm: domain, nonce, uri, response, algorithm: 'MD5', qop: 'auth', nc: ncText, cnonce, opaque: null });
}

/** An OPTIONS to the service itself (what every fence and every liveness check sends). */
export function optionsMessage(id: Identity, branch: string, callId: string): Buffer {
  return lines([
    `OPTIONS sip:${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/${id.transport} ${id.sentBy};rport;branch=${branch}`,
    'Max-Forwards: 70',
    `From: <sip:${id.user}@${DOMAIN}>;tag=o${callId.slice(0, 6)}`,
    `To: <sip:${DOMAIN}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
  ]);
}

/** A GB keepalive (MANSCDP Notify) from the flow's device. */
export function keepaliveMessage(id: Identity, branch: string, sn: number): Buffer {
  const body = `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${id.user}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;
  return Buffer.concat([lines([
    `MESSAGE sip:${GB_PLATFORM}@${GB_REALM} SIP/2.0`,
    `Via: SIP/2.0/${id.transport} ${id.sentBy};rport;branch=${branch}`,
    `From: <sip:${id.user}@${GB_REALM}>;tag=k${sn}`,
    `To: <sip:${GB_PLATFORM}@${GB_REALM}>`,
    `Call-ID: ka${sn}.${id.user}@fuzz`,
    `CSeq: ${sn} MESSAGE`,
    'Max-Forwards: 70',
    'Content-Type: Application/MANSCDP+xml',
    `Content-Length: ${body.length}`,
    '',
  ]), Buffer.from(body, 'latin1')]);
}

const GB_CATALOG = readFileSync(join(ROOT, 'test/gb28181/fixtures/07-catalog-response.gb2312.sip'));

/**
 * The flow's live seeds for the next mutated message: built for its identity and state, so a mutation that
 * leaves the important parts alone gets past authentication and into the handlers.
 */
export function liveSeed(id: Identity, st: FlowState, rng: Rng, branch: string): Seed {
  const { domain } = registrar(id);
  const peer = id.peers.length ? rng.pick(id.peers) : id.user;
  const peerDomain = /^\d{20}$/.test(peer) ? GB_REALM : DOMAIN;
  const tag = `t${(st.serial++).toString(36)}`;
  const callId = `${tag}.${st.callId}`;
  const via = `Via: SIP/2.0/${id.transport} ${id.sentBy};rport;branch=${branch}`;
  const from = `From: <sip:${id.user}@${domain}>;tag=${tag}`;
  const kinds = id.kind === 'gb' ? ['register', 'auth-register', 'keepalive', 'catalog', 'message', 'invite', 'cancel', 'in-dialog', 'options', 'bye'] as const
    : ['register', 'auth-register', 'auth-register', 'message', 'message', 'invite', 'invite', 'cancel', 'in-dialog', 'in-dialog', 'options', 'bye'] as const;
  const kind = rng.pick(kinds);
  if (kind === 'cancel' && st.lastInvite) {
    const inv = st.lastInvite;
    return { name: 'live-cancel', bytes: lines([`CANCEL ${inv.uri} SIP/2.0`, inv.via, 'Max-Forwards: 70', inv.from, inv.to, `Call-ID: ${inv.callId}`, 'CSeq: 1 CANCEL', 'Content-Length: 0', '']) };
  }
  if (kind === 'in-dialog' && st.dialogs?.length) {
    const d = rng.pick(st.dialogs);
    const method = rng.pick(['ACK', 'BYE', 'INFO', 'MESSAGE', 'UPDATE', 'INVITE', 'NOTIFY']);
    const cseq = method === 'ACK' ? d.cseq : d.cseq + 1 + rng.int(100);
    return {
      name: `live-in-dialog-${method.toLowerCase()}`,
      bytes: lines([`${method} ${d.target} SIP/2.0`, via, 'Max-Forwards: 70', ...(d.routes.length ? [`Route: ${d.routes.join(', ')}`] : []), `From: ${d.from}`, `To: ${d.to}`,
        `Call-ID: ${d.callId}`, `CSeq: ${cseq} ${method}`, 'Content-Length: 0', '']),
    };
  }
  if (kind === 'register') return { name: 'live-register', bytes: registerMessage(id, st, branch) };
  if (kind === 'auth-register' && st.nonce !== null && id.kind !== 'anon') {
    // Credentials are inserted after the mutation, whole and with the next nonce count: the mutated rest of the
    // REGISTER (Contact, Expires, Call-ID, CSeq …) reaches the registrar.
    const auth = `Authorization: ${credentials(id, st.nonce, ++st.nc, tag)}\r\n`;
    return { name: 'live-auth-register', bytes: registerMessage(id, st, branch, { expires: rng.pick([0, 60, 600, 3600, 7200, 100000]) }), post: (m) => insertAfterFirstLine(m, auth) };
  }
  if (kind === 'keepalive') return { name: 'live-gb-keepalive', bytes: keepaliveMessage(id, branch, ++st.serial) };
  if (kind === 'catalog') {
    const text = GB_CATALOG.toString('latin1').replace(/34020000001180000001/g, id.user).replace(/z9hG4bK\d+/, branch);
    return { name: 'live-gb-catalog', bytes: Buffer.from(text, 'latin1') };
  }
  if (kind === 'options') return { name: 'live-options', bytes: optionsMessage(id, branch, callId) };
  if (kind === 'bye') {
    return { name: 'live-bye', bytes: lines([`BYE sip:${peer}@${peerDomain} SIP/2.0`, via, 'Max-Forwards: 70', from, `To: <sip:${peer}@${peerDomain}>;tag=x${tag}`, `Call-ID: ${callId}`, 'CSeq: 2 BYE', 'Content-Length: 0', '']) };
  }
  if (kind === 'invite') {
    st.lastInvite = { uri: `sip:${peer}@${peerDomain}`, via, from, to: `To: <sip:${peer}@${peerDomain}>`, callId };
    const sdp = `v=0\r\no=- ${st.serial} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n`;
    return {
      name: 'live-invite',
      bytes: Buffer.concat([lines([`INVITE sip:${peer}@${peerDomain} SIP/2.0`, via, 'Max-Forwards: 70', from, `To: <sip:${peer}@${peerDomain}>`, `Call-ID: ${callId}`, 'CSeq: 1 INVITE',
        `Contact: <sip:${id.user}@${id.sentBy}>`, 'Content-Type: application/sdp', `Content-Length: ${sdp.length}`, '']), Buffer.from(sdp, 'latin1')]),
    };
  }
  const body = `fuzz ${tag} \u00e9\u4e2d`;
  const bytes = Buffer.from(body, 'utf8');
  return {
    name: 'live-message',
    bytes: Buffer.concat([lines([`MESSAGE sip:${peer}@${peerDomain} SIP/2.0`, via, 'Max-Forwards: 70', from, `To: <sip:${peer}@${peerDomain}>`, `Call-ID: ${callId}`, 'CSeq: 1 MESSAGE',
      'Content-Type: text/plain;charset=utf-8', `Content-Length: ${bytes.length}`, '']), bytes]),
  };
}

/** `extra` inserted after the first line break of `m` (at the end when there is none). */
export function insertAfterFirstLine(m: Buffer, extra: string): Buffer {
  const at = m.indexOf(10);
  const i = at < 0 ? m.length : at + 1;
  return Buffer.concat([m.subarray(0, i), Buffer.from(extra, 'latin1'), m.subarray(i)]);
}
