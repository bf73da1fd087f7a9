/**
 * Parser benchmark (issue #6, part 1): messages/s and MB/s of our parser against JsSIP's and SIP.js's on the
 * same inputs in the same process, plus a bare floor (split into lines, find each header's colon).
 *
 * Two views of ours, because the libraries do different amounts of work eagerly:
 * - `ours parse`: start line + header split ({@link parseMessage}), all our Worker does for a relayed message;
 * - `ours parse+access`: plus Via/From/To/CSeq/Call-ID parsed ({@link validateRequest}, or for responses
 *   {@link validateResponse} plus From/To), which is roughly what JsSIP and SIP.js always do.
 *
 * Each candidate is calibrated during warm-up so one repetition lasts about `repMs`; repetitions are
 * interleaved (rotating order) so that drift from other load on the machine hits every candidate alike.
 *
 * Standalone: `npx tsx bench/parser.ts [--quick]`.
 * @module
 */
import { createRequire } from 'node:module';
import { Parser as SipJsParser } from 'sip.js/lib/core/messages/parser.js';
import { parseMessage } from '../src/sip/parse.js';
import { validateRequest, validateResponse } from '../src/sip/validate.js';
import { parseNameAddr } from '../src/sip/name-addr.js';
import { MESSAGE_MIX } from './messages.js';
import { fmtSummary, markdownTable, summarize, type Summary } from './stats.js';

const require = createRequire(import.meta.url);
/** JsSIP's parser module (CommonJS, untyped deep import). */
const JsSipParser = require('jssip/lib/Parser.js') as { parseMessage(data: string, ua: unknown): unknown };

/** Knobs of one parser run. */
export interface ParserOptions {
  /** Warm-up (and calibration) time per candidate, ms. */
  warmupMs: number;
  /** Target duration of one repetition per candidate, ms. */
  repMs: number;
  /** Repetitions per candidate. */
  repetitions: number;
}

export const PARSER_QUICK: ParserOptions = { warmupMs: 20, repMs: 10, repetitions: 3 };
export const PARSER_FULL: ParserOptions = { warmupMs: 1500, repMs: 400, repetitions: 9 };

/** One candidate's figures. */
export interface ParserRow {
  name: string;
  msgsPerSec: Summary;
  mbPerSec: Summary;
}

/** The whole benchmark's outcome. */
export interface ParserResult {
  options: ParserOptions;
  mixBytes: number;
  rows: ParserRow[];
  /** Ours (parse) ÷ faster of JsSIP/SIP.js; ours (parse+access) ÷ faster; floor ÷ ours (parse). */
  ratios: { parseVsBest: number; accessVsBest: number; floorOverOurs: number; best: string };
  /** Checksum that keeps the work observable; meaningless otherwise. */
  sink: number;
}

/**
 * The floor: what any SIP parser must at least do. Split into lines at CRLF up to the empty line, find each
 * header's colon and cut name and value; take the rest as the body.
 */
export function floorParse(text: string): number {
  const fields: string[] = [];
  let start = text.indexOf('\r\n') + 2; // skip the start line
  for (;;) {
    const end = text.indexOf('\r\n', start);
    if (end < 0 || end === start) break;
    const colon = text.indexOf(':', start);
    fields.push(text.slice(start, colon), text.slice(colon + 1, end));
    start = end + 2;
  }
  return fields.length + text.slice(start + 2).length;
}

const silentLogger = { error() {}, warn() {}, log() {}, debug() {} };
/** JsSIP's IncomingRequest only stores the UA; nothing in parsing touches it. */
const uaStub = {};

/** Ours, and what it costs to read the essential headers the way a proxy must. */
function oursAccess(text: string): number {
  const r = parseMessage(text);
  if (!r.ok) return 0;
  const m = r.value;
  if (m.type === 'request') return validateRequest(m).ok ? 1 : 0;
  const v = validateResponse(m);
  const from = parseNameAddr(m.headers.get('from') ?? '');
  const to = parseNameAddr(m.headers.get('to') ?? '');
  return v.ok && from.ok && to.ok ? 1 : 0;
}

type Candidate = { name: string; run: (text: string, bytes: Uint8Array) => number };

const CANDIDATES: Candidate[] = [
  { name: 'floor (lines + colon)', run: (t) => floorParse(t) },
  { name: 'ours parse (string)', run: (t) => (parseMessage(t).ok ? 1 : 0) },
  { name: 'ours parse (bytes)', run: (_t, b) => (parseMessage(b).ok ? 1 : 0) },
  { name: 'ours parse+access', run: (t) => oursAccess(t) },
  { name: 'JsSIP Parser.parseMessage', run: (t) => (JsSipParser.parseMessage(t, uaStub) ? 1 : 0) },
  { name: 'SIP.js Parser.parseMessage', run: (t) => (SipJsParser.parseMessage(t, silentLogger as never) ? 1 : 0) },
];

/** Check every candidate understands every message before timing anything. */
function checkInputs(texts: string[], bytes: Uint8Array[]): void {
  for (const c of CANDIDATES) {
    texts.forEach((t, i) => {
      if (!c.run(t, bytes[i]!)) throw new Error(`${c.name} rejected ${MESSAGE_MIX[i]!.name}`);
    });
  }
}

/** Run the parser benchmark. */
export function runParser(options: ParserOptions = PARSER_FULL): ParserResult {
  const texts = MESSAGE_MIX.map((m) => m.text);
  const bytes = texts.map((t) => new TextEncoder().encode(t));
  const mixBytes = bytes.reduce((n, b) => n + b.length, 0);
  checkInputs(texts, bytes);
  let sink = 0;
  const pass = (c: Candidate, iterations: number): number => {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < iterations; k++) {
      for (let i = 0; i < texts.length; i++) sink += c.run(texts[i]!, bytes[i]!);
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  // Warm up and calibrate: iterations of the whole mix per repetition.
  const iterations = CANDIDATES.map((c) => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < options.warmupMs) {
      pass(c, 10);
      n += 10;
    }
    const perMs = n / Math.max(1e-3, performance.now() - t0);
    return Math.max(10, Math.round(perMs * options.repMs));
  });
  const rates: number[][] = CANDIDATES.map(() => []);
  for (let r = 0; r < options.repetitions; r++) {
    for (let j = 0; j < CANDIDATES.length; j++) {
      const ci = (j + r) % CANDIDATES.length;
      const secs = pass(CANDIDATES[ci]!, iterations[ci]!);
      rates[ci]!.push(iterations[ci]! / secs); // mixes per second
    }
  }
  const rows = CANDIDATES.map((c, i) => ({
    name: c.name,
    msgsPerSec: summarize(rates[i]!.map((x) => x * texts.length)),
    mbPerSec: summarize(rates[i]!.map((x) => (x * mixBytes) / 1e6)),
  }));
  const med = (name: string) => rows.find((r) => r.name.startsWith(name))!.msgsPerSec.median;
  const jssip = med('JsSIP');
  const sipjs = med('SIP.js');
  const bestRate = Math.max(jssip, sipjs);
  return {
    options, mixBytes, rows, sink,
    ratios: {
      best: jssip >= sipjs ? 'JsSIP' : 'SIP.js',
      parseVsBest: med('ours parse (string)') / bestRate,
      accessVsBest: med('ours parse+access') / bestRate,
      floorOverOurs: med('floor') / med('ours parse (string)'),
    },
  };
}

/** The result as a Markdown table plus the ratio lines. */
export function parserMarkdown(r: ParserResult): string {
  const table = markdownTable(
    ['parser', 'messages/s, median (min–max)', 'MB/s, median (min–max)'],
    r.rows.map((x) => [x.name, fmtSummary(x.msgsPerSec), fmtSummary(x.mbPerSec)]),
  );
  const q = r.ratios;
  return [
    table,
    '',
    `- ours parse ÷ ${q.best} (the faster library): **${q.parseVsBest.toFixed(1)}×** (target ≥ 20×)`,
    `- ours parse+access ÷ ${q.best}: **${q.accessVsBest.toFixed(1)}×**`,
    `- floor ÷ ours parse: **${q.floorOverOurs.toFixed(2)}×** (target ≤ 3×)`,
    `- mix: ${MESSAGE_MIX.map((m) => m.name).join(', ')}; ${r.mixBytes} bytes per mix of ${MESSAGE_MIX.length}` +
      ` messages; ${r.options.repetitions} repetitions of ~${r.options.repMs} ms each after ${r.options.warmupMs} ms warm-up`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const res = runParser(process.argv.includes('--quick') ? PARSER_QUICK : PARSER_FULL);
  console.log(parserMarkdown(res));
}
