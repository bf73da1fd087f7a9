/**
 * Scans (issue #13, "Measure"): sipvicious against the udp-bridge's UDP port, and the same probes over the
 * WebSocket endpoint, which sipvicious does not speak. Nothing may tell an existing user from an unknown one.
 *
 *   npx tsx bench/reliability/scans.ts
 *
 * The Worker as the e2e tests run it (test/e2e/harness.ts, default limits), the udp-bridge as a child process with
 * its default per-source bounds (what a scanner on the Internet meets), a few provisioned users. Runs `svmap`,
 * `svwar` (plain, and `--force` one extension per run: see test/e2e/udp/scans.test.ts), `svcrack` (a dictionary
 * with the right password first, as a control that the tool works against us, then eighth, then against an
 * unknown user), and over WebSocket an unauthenticated REGISTER, INVITE and OPTIONS per name and a REGISTER with a
 * wrong password, comparing status lines and header names. Installs sipvicious with apt-get when missing.
 * Bounded: every tool run is killed after 60 s.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { BRIDGE_TOKEN, DOMAIN, startService, type RestartableService } from '../../test/e2e/harness.js';
import { ensureInstalled } from '../kamailio.js';
import { digestAnswer, md5Challenge } from '../ledger-sip.js';
import { parseMessage } from '../../src/sip/parse.js';
import type { SipResponse } from '../../src/sip/message.js';
import { UdpUa } from '../../test/e2e/udp/udp-kit.js';
import { BridgeChild, freePort, machineLine, say, table } from './kit.js';

const hex = (n: number) => randomBytes(n).toString('hex');
const REAL = ['1000', '1001', 'alice', 'admin'];
const UNKNOWN = ['1002', '2000', 'bob', 'operator'];
const WORDS = REAL.flatMap((r, i) => [r, UNKNOWN[i]!]);
const CRACK = { first: 'svc-first', eighth: 'svc-eighth', unknown: 'svc-nobody' };
const password = (u: string) => `${u}-secret`;
const dir = mkdtempSync(join(tmpdir(), 'scans-'));

/** Run a tool, bounded; its stdout and stderr together. */
function run(cmd: string, args: string[], ms = 60_000): Promise<{ code: number | null; output: string; command: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, command: `${cmd} ${args.join(' ')}` });
    });
  });
}

const file = (name: string, lines: string[]) => {
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
};

/** svmap/svwar/svcrack's result table rows (`| x | y |`, header excluded), as `x → y`. */
const tableRows = (out: string) => out.split('\n').filter((l) => /^\|/.test(l) && !/Extension|SIP Device|Password|^\|[-=+]/.test(l))
  .map((l) => l.split('|').map((c) => c.trim()).filter(Boolean).join(' → '));
/** The last line a tool printed, without its logging prefix. */
const lastLine = (out: string) => (out.trim().split('\n').filter((l) => l.trim()).at(-1) ?? '').replace(/^[A-Z]+:[A-Za-z]+:/, '');

/** One request over a fresh WebSocket; the final response. */
async function wsRequest(url: string, text: (host: string) => string): Promise<SipResponse | null> {
  const ws = await new Promise<WebSocket>((resolve, reject) => {
    const w = new WebSocket(url, 'sip', { perMessageDeflate: false });
    w.once('open', () => resolve(w));
    w.once('error', reject);
  });
  try {
    return await new Promise<SipResponse | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 10_000);
      ws.on('message', (d: Buffer) => {
        const p = parseMessage(d.toString());
        if (p.ok && p.value.type === 'response' && p.value.status >= 200) {
          clearTimeout(timer);
          resolve(p.value);
        }
      });
      ws.send(text(`${hex(5)}.invalid`));
    });
  } finally {
    ws.terminate();
  }
}

function request(method: string, user: string, host: string, extra: string[] = []): string {
  const target = method === 'REGISTER' ? `sip:${DOMAIN}` : `sip:${user}@${DOMAIN}`;
  return [
    `${method} ${target} SIP/2.0`,
    `Via: SIP/2.0/WS ${host};branch=z9hG4bK${hex(6)}`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${DOMAIN}>;tag=${hex(4)}`,
    `To: <sip:${user}@${DOMAIN}>`,
    `Call-ID: ${hex(8)}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:${user}@${host};transport=ws>`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Status line and header names of a response: what must be the same for real and unknown users. */
const shape = (r: SipResponse | null) => (r === null ? 'no answer' : `${r.status} ${r.reason} [${[...new Set(r.headers.fields.map((f) => f.key))].sort().join(',')}]`);

async function main(): Promise<void> {
  const t0 = Date.now();
  if (!ensureInstalled('svwar', ['sipvicious'])) throw new Error('sipvicious is not installed');
  const version = (await run('svwar', ['--version'])).output.trim().split('\n')[0]!;
  const svc: RestartableService = await startService();
  const port = await freePort();
  const bridge = await BridgeChild.start({ upstream: svc.ws, token: BRIDGE_TOKEN, port, metricsPort: await freePort(), lift: false });
  const rows: string[][] = [];
  const common = async () => ['-b', '127.0.0.1', '-x', '127.0.0.1', '-P', String(await freePort()), '-p', String(port)];
  try {
    for (const u of [...REAL, CRACK.first, CRACK.eighth]) await svc.createUser(u, password(u));

    // svmap: is there a SIP device, and what does it say it is?
    const map = await run('svmap', [...await common(), '127.0.0.1']);
    rows.push(['`svmap` (OPTIONS sweep)', `UDP 127.0.0.1:${port} (bridge)`, '—', tableRows(map.output).join('; ') || lastLine(map.output),
      'finds the SIP service (expected: it is one); User-Agent `unknown`: the service sends no Server or User-Agent header']);
    const mapWs = await run('svmap', ['-p', new URL(svc.http).port, '127.0.0.1']);
    rows.push(['`svmap`', `the Worker's port (${new URL(svc.http).port}, TCP/WebSocket only)`, '—', lastLine(mapWs.output),
      'sipvicious OSS speaks UDP only (`svwar ws://…`: "Protocol scheme ws is not supported in SIPVicious OSS")']);

    // svwar plain: an attacker's first try.
    const plain = await run('svwar', ['-v', '-d', file('words.txt', WORDS), '--domain', DOMAIN, ...await common(), '127.0.0.1']);
    rows.push(['`svwar` REGISTER (default)', 'UDP (bridge)', `${WORDS.length} names, ${REAL.length} real: ${WORDS.join(', ')}`,
      `${tableRows(plain.output).length} found; "${/SIP server replied[^\n]*/.exec(plain.output)?.[0] ?? lastLine(plain.output)}"`,
      'stops at its sanity check: a random extension is challenged like a real one']);

    // svwar forced, one extension per run.
    for (const method of ['REGISTER', 'INVITE', 'OPTIONS']) {
      const answers = new Map<string, string>();
      let foundCount = 0;
      for (const w of WORDS) {
        const r = await run('svwar', ['-v', '--force', '-m', method, '-d', file(`one-${w}.txt`, [w]), '--domain', DOMAIN, ...await common(), '127.0.0.1']);
        foundCount += tableRows(r.output).length + (r.output.match(/extension '[^']*' (probably )?exists/g)?.length ?? 0);
        answers.set(w, /Response: '(SIP\/2\.0 \d{3} [^\\]*)\\r\\n/.exec(r.output)?.[1] ?? 'no answer printed');
      }
      const realA = new Set(REAL.map((w) => answers.get(w)));
      const unknownA = new Set(UNKNOWN.map((w) => answers.get(w)));
      rows.push([`\`svwar --force -m ${method}\`, one name per run`, 'UDP (bridge)', `the same ${WORDS.length} names`, `${foundCount} found`,
        `real: ${[...realA].join(' / ')}; unknown: ${[...unknownA].join(' / ')}${realA.size === 1 && unknownA.size === 1 && [...realA][0] === [...unknownA][0] ? ' (identical)' : ' (**differ**)'}`]);
      say(`svwar ${method}: ${JSON.stringify(Object.fromEntries(answers))}`);
    }

    // svcrack: the tool works (right password first), the guard stops it (right password eighth), unknown user.
    const wrong = Array.from({ length: 7 }, (_, i) => `guess${i}-${hex(2)}`);
    for (const [label, user, dict] of [
      ['right password first (control)', CRACK.first, [password(CRACK.first), ...wrong]],
      ['right password eighth', CRACK.eighth, [...wrong, password(CRACK.eighth), 'guess-after']],
      ['unknown user', CRACK.unknown, [...wrong, password(CRACK.unknown)]],
    ] as const) {
      const r = await run('svcrack', ['-u', user, '-d', file(`dict-${user}.txt`, [...dict]), '--domain', DOMAIN, ...await common(), '127.0.0.1']);
      // Then the right password from the same address, as a device would send it.
      const ua = await UdpUa.open(user, password(user), port);
      const after = await ua.register().then((x) => `${x.response.status} ${/^SIP\/2\.0 \d{3} (.*)$/m.exec(x.response.text)?.[1] ?? ''}`, (e: Error) => e.message.split('\n')[0]!);
      await ua.close();
      rows.push([`\`svcrack\`, ${label}`, 'UDP (bridge)', `${dict.length} passwords for \`${user}\``, tableRows(r.output).join('; ') || lastLine(r.output),
        `${label === 'right password eighth' ? 'blocked by the GuardObject after 5 failures for one account from one address' : label === 'unknown user' ? 'fails as a wrong password does' : 'svcrack works against the service'}; ` +
        `then a digest REGISTER as \`${user}\` with \`${password(user)}\` from 127.0.0.1: ${after}`]);
      say(`svcrack ${label}: ${r.output.trim().split('\n').slice(-6).join(' | ')}`);
    }

    // The WebSocket endpoint, probed the same way.
    for (const method of ['REGISTER', 'INVITE', 'OPTIONS']) {
      const shapes = new Map<string, string>();
      for (const w of WORDS) shapes.set(w, shape(await wsRequest(svc.ws, (h) => request(method, w, h))));
      const realS = new Set(REAL.map((w) => shapes.get(w)));
      const unknownS = new Set(UNKNOWN.map((w) => shapes.get(w)));
      const same = realS.size === 1 && unknownS.size === 1 && [...realS][0] === [...unknownS][0];
      rows.push([`unauthenticated ${method}, fresh connection per name`, `WebSocket ${svc.ws}`, `the same ${WORDS.length} names`, same ? '0 distinguishable' : '**distinguishable**',
        `real: ${[...realS].join(' / ')}; unknown: ${[...unknownS].join(' / ')}`]);
    }
    // A wrong password, real vs unknown user.
    const wrongShape = new Map<string, string>();
    for (const w of WORDS) {
      const url = svc.ws;
      const ws = await new Promise<WebSocket>((resolve, reject) => {
        const x = new WebSocket(url, 'sip', { perMessageDeflate: false });
        x.once('open', () => resolve(x));
        x.once('error', reject);
      });
      const host = `${hex(5)}.invalid`;
      const next = () => new Promise<SipResponse | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 10_000);
        ws.once('message', (d: Buffer) => {
          clearTimeout(timer);
          const p = parseMessage(d.toString());
          resolve(p.ok && p.value.type === 'response' ? p.value : null);
        });
      });
      let r = next();
      ws.send(request('REGISTER', w, host));
      const c = await r;
      r = next();
      ws.send(request('REGISTER', w, host, [`Authorization: ${digestAnswer(md5Challenge(c!), w, 'not-the-password', 'REGISTER', `sip:${DOMAIN}`, 1)}`]).replace('CSeq: 1 ', 'CSeq: 2 '));
      wrongShape.set(w, shape(await r));
      ws.terminate();
    }
    const realW = new Set(REAL.map((w) => wrongShape.get(w)));
    const unknownW = new Set(UNKNOWN.map((w) => wrongShape.get(w)));
    rows.push(['REGISTER with a wrong password (after its 401)', 'WebSocket', `the same ${WORDS.length} names`,
      realW.size === 1 && unknownW.size === 1 && [...realW][0] === [...unknownW][0] ? '0 distinguishable' : '**distinguishable**',
      `real: ${[...realW].join(' / ')}; unknown: ${[...unknownW].join(' / ')}`]);
  } finally {
    await bridge.stop();
    await svc.close();
  }
  console.log([
    '',
    `Command: \`npx tsx bench/reliability/scans.ts\` (${version}; bridge with its default per-source bounds; ${machineLine()}; ${((Date.now() - t0) / 1000).toFixed(0)} s)`,
    '',
    table(['scan', 'target', 'input', 'result', 'real vs unknown users'], rows),
    '',
  ].join('\n'));
}

await main();
process.exit(0);
