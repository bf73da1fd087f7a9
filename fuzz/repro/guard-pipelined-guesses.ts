/**
 * Reproducer: pipelined guesses get past the per-address guard, and the ban counter counts requests, not
 * connections (found while reconciling `npm run fuzz`'s ban counts). Run: `npx tsx fuzz/repro/guard-pipelined-guesses.ts`.
 *
 * README: "5 failures for one account … within 5 minutes block that address for a minute … even against the
 * right password". A: one WebSocket sends, without waiting, 7 REGISTERs with a wrong password, then one with
 * the right one, all answering the same challenge (nc 1…8). Each request awaits the guard (`blocked`) and the
 * AOR before its failure is counted (`failed`), and the flow takes the next frame meanwhile, so each of them is
 * checked against the password: the right one gets 200 although 7 failures came before it. B: 14 wrong ones on
 * a connection from another address: the 10th failure bans it (1008), and `sip_connections_banned_total` grows
 * once per request handled after that, for one connection.
 * @module
 */
import WebSocket from 'ws';
import { computeDigestResponse, computeHA1 } from '../../src/auth/digest.js';
import { parseChallenge } from '../../src/sip/auth-header.js';
import { ADMIN_TOKEN, startService } from '../../test/e2e/harness.js';

const svc = await startService();
await svc.createUser('victim', 'right');

/** Pipeline REGISTERs for `victim` with these passwords from `ip`; the answers by CSeq, in arrival order. */
async function pipeline(ip: string, passwords: string[]): Promise<string[]> {
  const ws = new WebSocket(svc.ws, 'sip', { headers: { 'cf-connecting-ip': ip } });
  await new Promise((r) => ws.once('open', r));
  const got: string[] = [];
  let challenge: (s: string) => void;
  const first = new Promise<string>((r) => (challenge = r));
  ws.on('message', (d) => {
    const t = d.toString();
    if (got.length === 0) challenge(t);
    got.push(`  CSeq ${/CSeq: (\d+)/.exec(t)?.[1]} → ${t.split('\r\n')[0]}`);
  });
  ws.on('close', (c) => got.push(`  closed ${c}`));
  const register = (cseq: number, auth?: string) => `REGISTER sip:edge-sip.test SIP/2.0\r\nVia: SIP/2.0/WS g.invalid;branch=z9hG4bKg${cseq}\r\n`
    + 'Max-Forwards: 70\r\nFrom: <sip:victim@edge-sip.test>;tag=g\r\nTo: <sip:victim@edge-sip.test>\r\nCall-ID: guess\r\n'
    + `CSeq: ${cseq} REGISTER\r\nContact: <sip:v@g.invalid;transport=ws>\r\n${auth ? `Authorization: ${auth}\r\n` : ''}Content-Length: 0\r\n\r\n`;
  ws.send(register(1));
  const ch = parseChallenge(/WWW-Authenticate: (.*)/.exec(await first)![1]!);
  if (!ch.ok) throw new Error(ch.error);
  passwords.forEach((password, k) => {
    const nc = (k + 1).toString(16).padStart(8, '0');
    const ha1 = computeHA1('MD5', 'victim', 'edge-sip.test', password);
    const response = computeDigestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri: 'sip:edge-sip.test', nonce: ch.value.nonce, qop: 'auth', nc, cnonce: 'c' });
    ws.send(register(k + 2, `Digest username="victim", realm="edge-sip.test", nonce="${ch.value.nonce}", uri="sip:edge-sip.test", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="c"`));
  });
  await new Promise((r) => setTimeout(r, 3_000));
  ws.close();
  await new Promise((r) => setTimeout(r, 500));
  return got;
}

const metrics = async () => (await (await fetch(`${svc.http}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text())
  .split('\n').filter((l) => /^sip_(auth_failures|connections_banned|connections_closed)/.test(l)).join(', ');

console.log(`A: CSeq 2–8 wrong password, CSeq 9 the right one (expected: 403 from the 6th failure on, the right one included)`);
console.log((await pipeline('198.51.100.9', [...Array(7).fill('wrong'), 'right'])).join('\n'));
console.log(`  /metrics: ${await metrics()}`);
console.log('B: CSeq 2–15 wrong password from another address (expected: one connection banned)');
console.log((await pipeline('198.51.100.10', Array(14).fill('wrong'))).join('\n'));
console.log(`  /metrics: ${await metrics()}`);
await svc.close();
