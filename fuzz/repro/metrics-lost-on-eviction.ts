/**
 * Reproducer: `/metrics` loses counts when a MetricsObject shard falls idle (found by `npm run fuzz`, whose
 * per-transport counts did not add up). Run: `npx tsx fuzz/repro/metrics-lost-on-eviction.ts`.
 *
 * A shard keeps its counters in memory and writes changed rows at most every 30 s, by alarm while busy. An
 * object without WebSockets, timers or requests in flight is evicted after about 10 s idle, and a pending
 * alarm does not keep it: the alarm then runs in a fresh instance with nothing dirty, and every count added
 * since the last write is gone. Steps: 1 OPTIONS (written through: the shard was idle), 9 more at once (kept
 * in memory, alarm in 30 s), read /metrics (10), stay silent 15 s, read again.
 * @module
 */
import WebSocket from 'ws';
import { ADMIN_TOKEN, startService } from '../../test/e2e/harness.js';

const svc = await startService(); // METRICS_FLUSH_SECONDS=0: every event's counters reach a shard at once
const ws = new WebSocket(svc.ws, 'sip');
await new Promise((r) => ws.once('open', r));
let answers = 0;
ws.on('message', () => answers++);
const options = (i: number) => `OPTIONS sip:edge-sip.test SIP/2.0\r\nVia: SIP/2.0/WS r.invalid;branch=z9hG4bKr${i}\r\nMax-Forwards: 70\r\n`
  + `From: <sip:r@edge-sip.test>;tag=r\r\nTo: <sip:edge-sip.test>\r\nCall-ID: r${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
const counted = async () => {
  const text = await (await fetch(`${svc.http}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  return Number(/^sip_requests_received_total\{method="OPTIONS"\} (\d+)/m.exec(text)?.[1] ?? 0);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
ws.send(options(0));
await sleep(500);
for (let i = 1; i < 10; i++) ws.send(options(i));
await sleep(1000);
console.log(`answered ${answers}, /metrics counts ${await counted()} OPTIONS`);
await sleep(15_000);
console.log(`after 15 s of silence: /metrics counts ${await counted()} OPTIONS`);
await sleep(20_000);
console.log(`after the shard's 30 s alarm: /metrics counts ${await counted()} OPTIONS (expected 10)`);
ws.close();
await svc.close();
