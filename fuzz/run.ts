/**
 * `npm run fuzz [-- --count N --seconds S --seed K …]`: wire fuzzing of a locally started Worker, over
 * WebSockets and as UDP datagrams through the real udp-bridge (issue #13; results in docs/reliability.md).
 * Prints a progress line every 2 s, then the checked outcomes and the table; exits 1 when an outcome fails.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS, runFuzz } from './fuzz.js';
import { renderReport } from './report.js';

const HELP = `npm run fuzz -- [options]

  --count <n>        mutated messages in all                       [${DEFAULTS.count}]
  --seconds <s>      bound on the fuzzing time                      [${DEFAULTS.seconds}]
  --seed <k>         the run's seed: the same seed, the same messages [${DEFAULTS.seed}]
  --ws-share <f>     share of count and time for WebSockets (rest: UDP) [${DEFAULTS.wsShare}]
  --ws-flows <n>     WebSocket connections at once                  [${DEFAULTS.wsFlows}]
  --udp-flows <n>    UDP source ports (bridge flows)                [${DEFAULTS.udpFlows}]
  --batch <n>        mutated messages between two fences (WebSocket) [${DEFAULTS.batch}]
  --udp-batch <n>    the same from a UDP source port                [${DEFAULTS.udpBatch}]
  --rate-limit       keep the per-connection and per-source rate limits (default: lifted)
  --out <dir>        where the messages of findings go              [$TMPDIR/edge-sip-fuzz-<seed>]
  --json <file>      also write the whole report as JSON
`;

const { values } = parseArgs({
  options: {
    count: { type: 'string' }, seconds: { type: 'string' }, seed: { type: 'string' }, 'ws-share': { type: 'string' },
    'ws-flows': { type: 'string' }, 'udp-flows': { type: 'string' }, batch: { type: 'string' }, 'udp-batch': { type: 'string' }, 'rate-limit': { type: 'boolean' },
    out: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const num = (v: string | undefined, d: number) => {
  if (v === undefined) return d;
  const x = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(x) || x < 0) throw new Error(`not a number: ${v}`);
  return x;
};
const seed = num(values.seed, DEFAULTS.seed);
const argv = process.argv.slice(2);
const tty = process.stderr.isTTY;
const report = await runFuzz({
  count: num(values.count, DEFAULTS.count),
  seconds: num(values.seconds, DEFAULTS.seconds),
  seed,
  wsShare: num(values['ws-share'], DEFAULTS.wsShare),
  wsFlows: num(values['ws-flows'], DEFAULTS.wsFlows),
  udpFlows: num(values['udp-flows'], DEFAULTS.udpFlows),
  batch: num(values.batch, DEFAULTS.batch),
  udpBatch: num(values['udp-batch'], DEFAULTS.udpBatch),
  rateLimit: values['rate-limit'] ?? false,
  outDir: values.out ?? join(tmpdir(), `edge-sip-fuzz-${seed}`),
  command: `npm run fuzz${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  // On a terminal the line is rewritten in place; in a log, one line every 10 s.
  progress: (() => {
    let k = 0;
    return (line: string) => {
      if (tty) process.stderr.write(`\r${line}`);
      else if (k++ % 5 === 0) process.stderr.write(`${line}\n`);
    };
  })(),
});
if (tty) process.stderr.write('\n');
process.stdout.write(`${renderReport(report)}\n`);
if (values.json) writeFileSync(values.json, JSON.stringify(report, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : Buffer.isBuffer(v) ? `${(v as Buffer).length} bytes` : v), 2));
process.exit(report.ok ? 0 : 1);
