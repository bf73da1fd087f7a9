/**
 * Registration end to end: real JsSIP and SIP.js user agents against a really started Worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import WebSocket from 'ws';
import { createJsSipUa } from './clients/jssip.js';
import { createSipJsUa } from './clients/sipjs.js';
import { DOMAIN, eventually, startService, type Service } from './harness.js';

let svc: Service;
beforeAll(async () => {
  svc = await startService();
  await svc.createUser('alice', 'alice-secret');
  await svc.createUser('bob', 'bob-secret');
  await svc.createUser('carol', 'carol-secret');
});
afterAll(async () => {
  await svc?.close();
});

const bindings = (user: string) => svc.bindings(user);


describe('a JsSIP user agent', () => {
  it('registers with a provisioned account, refreshes and unregisters', async () => {
    const ua = await createJsSipUa({ ws: svc.ws, user: 'alice', password: 'alice-secret', domain: DOMAIN });
    try {
      expect(await ua.register()).toEqual({ ok: true });
      let list = await bindings('alice');
      expect(list).toHaveLength(1);
      expect(list[0]!.userAgent).toBe('JsSIP e2e');
      expect(list[0]!.expires).toBeGreaterThan(500);
      ua.refresh(); // same Call-ID, higher CSeq
      const first = list[0]!;
      list = await eventually(() => bindings('alice'), (l) => l[0]!.cseq > first.cseq);
      expect(list).toHaveLength(1);
      expect(list[0]!.callId).toBe(first.callId);
      expect(list[0]!.cseq).toBeGreaterThan(first.cseq);
      await ua.unregister();
      expect(await bindings('alice')).toEqual([]);
    } finally {
      await ua.stop();
    }
  });

  it('fails to register with a wrong password', async () => {
    const ua = await createJsSipUa({ ws: svc.ws, user: 'alice', password: 'wrong', domain: DOMAIN });
    try {
      const outcome = await ua.register();
      expect(outcome.ok).toBe(false);
      expect(await bindings('alice')).toEqual([]);
    } finally {
      await ua.stop();
    }
  });
});

describe('a SIP.js user agent', () => {
  it('registers, refreshes and unregisters', async () => {
    const ua = await createSipJsUa({ ws: svc.ws, user: 'bob', password: 'bob-secret', domain: DOMAIN });
    try {
      expect(await ua.register()).toBe(200);
      expect(await bindings('bob')).toHaveLength(1);
      expect(await ua.register()).toBe(200);
      expect(await bindings('bob')).toHaveLength(1);
      await ua.unregister();
      expect(await bindings('bob')).toEqual([]);
    } finally {
      await ua.stop();
    }
  });

  it('is refused with a wrong password', async () => {
    const ua = await createSipJsUa({ ws: svc.ws, user: 'bob', password: 'nope', domain: DOMAIN });
    try {
      expect(await ua.register()).toBe(401);
      expect(await bindings('bob')).toEqual([]);
    } finally {
      await ua.stop();
    }
  });
});

describe('one user on two connections', () => {
  it('has two bindings, and closing one connection removes exactly its binding', async () => {
    const a = await createJsSipUa({ ws: svc.ws, user: 'carol', password: 'carol-secret', domain: DOMAIN });
    const b = await createSipJsUa({ ws: svc.ws, user: 'carol', password: 'carol-secret', domain: DOMAIN });
    try {
      expect(await a.register()).toEqual({ ok: true });
      expect(await b.register()).toBe(200);
      const both = await bindings('carol');
      expect(both).toHaveLength(2);
      expect(new Set(both.map((x) => x.flowId)).size).toBe(2);
      const sipJsBinding = both.find((x) => x.userAgent === 'SIP.js e2e')!;
      await a.stop(); // closes JsSIP's WebSocket without unregistering
      const left = await eventually(() => bindings('carol'), (l) => l.length === 1);
      expect(left).toHaveLength(1);
      expect(left[0]!.flowId).toBe(sipJsBinding.flowId);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('the WebSocket endpoint', () => {
  it('refuses a client that offers no "sip" subprotocol, saying why', async () => {
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${svc.http}/sip`, {
        headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('upgrade', () => reject(new Error('upgraded without a subprotocol')));
      req.on('error', reject);
      req.end();
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/subprotocol "sip"/);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(svc.ws, ['chat']);
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(400);
  });

  it('echoes the "sip" subprotocol', async () => {
    const ws = new WebSocket(svc.ws, ['sip']);
    const protocol = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => resolve(ws.protocol));
      ws.on('error', reject);
    });
    ws.close();
    expect(protocol).toBe('sip');
  });
});
