/**
 * Extension scanning (issue #13): sipvicious's `svwar` against the real udp-bridge in front of a really started
 * Worker, with a small wordlist that holds real provisioned users and unknown ones. It must find none: the
 * service answers an unauthenticated REGISTER, INVITE or OPTIONS the same way whether the user exists or not.
 *
 * svwar 0.3.3 (Debian's `sipvicious`) first sends a request for a random extension; when that is challenged it
 * stops ("authentication request for an unknown extension"), so the first test is the scan as an attacker runs
 * it. With `--force` it takes that first answer as the "no such user" answer and reports every extension whose
 * answer differs; but on a 401/407 equal to it, it stops after that one extension, so the forced scans run one
 * extension per svwar process. Skipped when `svwar` is not installed (`apt-get install sipvicious`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../harness.js';
import { DOMAIN, freeUdpPort, startTestBridge, type TestBridge } from './udp-kit.js';

const HAVE_SVWAR = spawnSync('sh', ['-c', 'command -v svwar'], { stdio: 'ignore' }).status === 0;

/** Real accounts (provisioned below) and names that are not accounts, mixed as a wordlist would. */
const REAL = ['1000', '1001', 'alice', 'admin'];
const UNKNOWN = ['1002', '2000', 'bob', 'operator'];
const WORDS = [REAL[0]!, UNKNOWN[0]!, REAL[1]!, UNKNOWN[1]!, REAL[2]!, UNKNOWN[2]!, REAL[3]!, UNKNOWN[3]!];

let svc: Service;
let bridge: TestBridge;
let dir: string;

beforeAll(async () => {
  if (!HAVE_SVWAR) return;
  svc = await startService();
  for (const u of REAL) await svc.createUser(u, `${u}-scan-secret`);
  bridge = await startTestBridge(svc.ws);
  dir = mkdtempSync(join(tmpdir(), 'svwar-e2e-'));
});
afterAll(async () => {
  await bridge?.close();
  await svc?.close();
});

interface SvwarRun {
  args: string[];
  code: number | null;
  output: string;
}

/** Run svwar from 127.0.0.1:<a free port> at the bridge, bounded (SIGKILL after 30 s). */
async function svwar(words: string[], extra: string[]): Promise<SvwarRun> {
  const file = join(dir, `words-${words.join('-')}-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, `${words.join('\n')}\n`);
  const args = ['-v', '-d', file, '-b', '127.0.0.1', '-x', '127.0.0.1', '-P', String(await freeUdpPort()), '--domain', DOMAIN, '-p', String(bridge.port), ...extra, '127.0.0.1'];
  return new Promise((resolve) => {
    const child = spawn('svwar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ args, code, output });
    });
  });
}

/** What svwar reports as found: its result table rows (printed instead of "found nothing") and its "extension … exists" lines (`-v`). */
function found(run: SvwarRun): string[] {
  const lines = run.output.split('\n');
  return [
    ...lines.filter((l) => /extension '[^']*' (exists|probably exists)/.test(l)),
    ...lines.filter((l) => /^\|\s*\S+\s*\|\s*(reqauth|noauth|weird)\s*\|/.test(l)),
  ];
}

const report = (r: SvwarRun) => `svwar ${r.args.join(' ')} (exit ${r.code})\n${r.output}\n${bridge.tail(20)}`;

describe.skipIf(!HAVE_SVWAR)('svwar against the udp-bridge', () => {
  it('stops at its sanity check: an unknown extension is challenged like any other, and it reports nothing', async () => {
    const run = await svwar(WORDS, []);
    expect(run.output, report(run)).toMatch(/authentication request for an unknown extension/);
    expect(run.output, report(run)).toMatch(/found nothing/);
    expect(found(run), report(run)).toEqual([]);
  });

  for (const method of ['REGISTER', 'INVITE', 'OPTIONS']) {
    it(`forced, ${method}: no extension found, and real and unknown users get the same status line`, async () => {
      const runs = await Promise.all(WORDS.map((w) => svwar([w], ['--force', '-m', method])));
      const statusLines = new Map<string, string>();
      for (const [i, run] of runs.entries()) {
        expect(found(run), report(run)).toEqual([]);
        expect(run.output, report(run)).toMatch(/found nothing/);
        // svwar printed the answer it got for this extension: proof the scan reached the service.
        const line = /Response: '(SIP\/2\.0 \d{3} [^\\]*)\\r\\n/.exec(run.output)?.[1];
        expect(line, report(run)).toBeDefined();
        statusLines.set(WORDS[i]!, line!);
      }
      const distinct = new Set(statusLines.values());
      expect([...distinct], JSON.stringify(Object.fromEntries(statusLines))).toHaveLength(1);
      expect([...distinct][0]).toMatch(method === 'REGISTER' ? /^SIP\/2\.0 401 / : /^SIP\/2\.0 407 /);
    });
  }
});
