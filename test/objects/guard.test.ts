/**
 * Password guessing is bounded per source address, across connections and bridge flows: the review's attack
 * (wrong guesses for one account from one IP over many source ports, then the right password from that IP)
 * is refused, while the account's own device at another address still registers.
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { answerChallenge, registerText, SipTestClient } from '../support/sip-client.js';
import { createUser, DOMAIN } from './helpers.js';

/** A bridged UDP device's connection from `source` (ip:port). */
async function device(source: string): Promise<SipTestClient> {
  const res = await exports.default.fetch('http://edge/sip', {
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'sip', authorization: 'Bearer test-bridge-token', 'x-bridge-source': source },
  });
  res.webSocket!.accept();
  return new SipTestClient(res.webSocket!);
}

async function attempt(source: string, user: string, password: string) {
  const c = await device(source);
  const first = await c.request(registerText({ user, domain: DOMAIN, callId: `g-${source}`, cseq: 1 }));
  const auth = answerChallenge(first, user, password, `sip:${DOMAIN}`);
  const res = await c.request(registerText({ user, domain: DOMAIN, callId: `g-${source}`, cseq: 2, authorization: auth }));
  c.close();
  return res;
}

describe('the guard of a source address', () => {
  it('blocks guessing over many source ports of one IP, even against the right password, and not the account elsewhere', async () => {
    await createUser('gail', 'gail-pw');
    const statuses: number[] = [];
    for (let port = 40000; port < 40040; port++) statuses.push((await attempt(`127.0.0.66:${port}`, 'gail', 'wrong')).status);
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.slice(4).every((s) => s === 403)).toBe(true);
    const right = await attempt('127.0.0.66:41000', 'gail', 'gail-pw');
    expect(right.status).toBe(403);
    expect(right.reason).toMatch(/too many failed authentications from this address; retry in \d+ s/);
    expect((await attempt('127.0.0.77:5060', 'gail', 'gail-pw')).status).toBe(200);
  });

  it('keeps other accounts at the blocked address usable until the address itself is over its own bound', async () => {
    await createUser('hal', 'hal-pw');
    for (let port = 42000; port < 42006; port++) await attempt(`127.0.0.88:${port}`, 'gail', 'wrong');
    expect((await attempt('127.0.0.88:42100', 'hal', 'hal-pw')).status).toBe(200);
  });

  it('does not let a bridged device\'s next connection inherit its old connection\'s ban', async () => {
    await createUser('ivo', 'ivo-pw');
    const c = await device('127.0.0.99:5062');
    let first = await c.request(registerText({ user: 'ivo', domain: DOMAIN, callId: 'ban', cseq: 1 }));
    for (let i = 0; i < 10; i++) {
      const auth = answerChallenge(first, 'ivo', 'bad', `sip:${DOMAIN}`);
      first = await c.request(registerText({ user: 'ivo', domain: DOMAIN, callId: 'ban', cseq: 2 + i, authorization: auth }));
      if (first.status !== 401) break;
    }
    const again = await device('127.0.0.99:5062');
    const res = await again.request(registerText({ user: 'ivo', domain: DOMAIN, callId: 'ban2', cseq: 1 }));
    expect([401, 403]).toContain(res.status); // answered (challenged, or refused by the address's guard), not closed
    again.close();
  });

  it('counts pipelined guesses before checking them: the right password sent after them is refused', async () => {
    await createUser('pip', 'pip-pw');
    const c = await device('127.0.0.111:5070');
    const first = await c.request(registerText({ user: 'pip', domain: DOMAIN, callId: 'pipe', cseq: 1 }));
    const passwords = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'pip-pw'];
    passwords.forEach((pw, i) => c.send(registerText({ user: 'pip', domain: DOMAIN, callId: 'pipe', cseq: 2 + i, authorization: answerChallenge(first, 'pip', pw, `sip:${DOMAIN}`, i + 1) })));
    const answers = new Map<number, number>();
    for (let i = 0; i < passwords.length; i++) {
      const r = await c.response(5_000);
      answers.set(Number.parseInt(r.headers.get('cseq') ?? '0', 10), r.status);
    }
    expect(answers.get(2 + passwords.length - 1)).toBe(403);
    expect([...answers.values()].filter((s) => s === 200)).toEqual([]);
    c.close();
  });
});
