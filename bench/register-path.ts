/**
 * Our own code on the REGISTER refresh path, in Node, without the runtime (issue #10): µs per registration
 * (REGISTER → 401 → REGISTER with `Authorization` → 200 on one flow holding its AOR's lease), for one or more
 * source trees loaded side by side in one process, rounds interleaved. Not part of `npm run bench`.
 *
 *   npx tsx bench/register-path.ts                              # this tree
 *   npx tsx bench/register-path.ts --root /tmp/perf-base,.      # another tree (its src/) and this one
 *   npx tsx bench/register-path.ts --root /tmp/perf-base,. --alloc  # bytes allocated per registration instead
 *
 * The flow's steps are those of `FlowObject.webSocketMessage` (src/objects/flow-object.ts): `decideFrame`,
 * `onRequest`, the answer counted and encoded, then the counters settled and the attachment flushed, with the
 * object's own parts (attachment cache, leases, counters, nonce window, trace check). The WebSocket is a
 * stand-in: `send` keeps the frame, and `serializeAttachment` is V8's serializer (`v8.serialize`, what the
 * runtime's structured clone does). The client's work (digest, parse of the answers) is outside the timed
 * part. What it leaves out is the runtime's own cost per event, which bench/cpu-probe.ts measures. With
 * `--alloc`: the bytes the flow's code allocates per registration in V8's young generation (the growth of
 * new space across its two messages, the median of many registrations, those with a scavenge left out, less
 * what the reading itself allocates): what feeds the GC, and steadier than time on a shared machine.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { getHeapSpaceStatistics, serialize as v8serialize, deserialize as v8deserialize } from 'node:v8';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { summarize } from './stats.js';
import { registerText } from './register-text.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => argv.find((_, i) => argv[i - 1] === `--${name}`) ?? dflt;
const roots = arg('root', '.').split(',');
const rounds = Number(arg('rounds', '12'));
const perRound = Number(arg('registrations', '3000'));
const alloc = argv.includes('--alloc');
const newSpace = () => getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_used_size;

// Modules on this path import values (a shard name, a class to extend) from files that also import
// `cloudflare:workers`; in Node that module is an empty stand-in.
const workersStub = `data:text/javascript,${encodeURIComponent('export class DurableObject {} export class WorkerEntrypoint {} export const env = {};')}`;
register(`data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) { return s.startsWith('cloudflare:') ? { url: ${JSON.stringify(workersStub)}, shortCircuit: true } : next(s, c); }`)}`);

/** The stand-in socket. */
class Socket {
  readyState = 1;
  sent: string | Uint8Array = '';
  #att: Buffer | null = null;
  send(frame: string | Uint8Array): void {
    this.sent = frame;
  }
  serializeAttachment(v: unknown): void {
    this.#att = v8serialize(v);
  }
  deserializeAttachment(): unknown {
    return this.#att ? v8deserialize(this.#att) : null;
  }
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const DOMAIN = 'edge-sip.test';
const USER = 'b0';

/** One tree's flow, with its REGISTER loop. */
async function flowOf(root: string) {
  const m = async (p: string) => import(pathToFileURL(resolve(root, 'src', p)).href);
  const [{ readConfig }, { AttachmentCache }, { FlowLeases }, { FlowCounters, requestCounter, responseCounter }, { FlowTrace },
    { onRequest }, { FlowRouter }, { FlowAors }, { NonceCounts }, { decideFrame }, { encodeFrame }, { applyRegister }, { FlowLimits }] = await Promise.all([
    m('config.ts'), m('objects/attachments.ts'), m('objects/flow-leases.ts'), m('objects/flow-counters.ts'), m('objects/flow-trace.ts'),
    m('objects/flow-dispatch.ts'), m('objects/flow-routing.ts'), m('objects/udp-flow-aors.ts'), m('auth/nonce-counts.ts'),
    m('transport/frame-decision.ts'), m('transport/ws-frames.ts'), m('registrar/register.ts'), m('transport/flow-limits.ts')]);
  const env = {
    SIP_DOMAIN: DOMAIN, MIN_EXPIRES: '60', MAX_EXPIRES: '7200', DEFAULT_EXPIRES: '3600', NONCE_TTL: '300',
    FLOW_MESSAGE_RATE: '1000000', FLOW_MESSAGE_BURST: '1000000', FLOW_MAX_AUTH_FAILURES: '10', NONCE_SECRET: 'bench-nonce-secret',
    GB_PLATFORM_ID: '34020000002000000001',
  };
  const config = readConfig(env);
  const ws = new Socket() as unknown as WebSocket & Socket;
  const ctx = { getWebSockets: () => [ws], waitUntil: () => undefined, id: { toString: () => 'f'.repeat(64) } };
  const attachments = new AttachmentCache();
  const leases = new FlowLeases(attachments);
  // Counters are never sent to a shard here (a flush is one RPC per 5000 events in the Worker).
  const counters = new FlowCounters(ctx, env, attachments, { events: Number.MAX_SAFE_INTEGER, ageMs: Number.MAX_SAFE_INTEGER });
  const nonces = new NonceCounts(Date.now(), config.nonceTtlMs);
  const limits = new FlowLimits(config.flowLimits, Date.now());
  const trace = new FlowTrace(env, attachments, () => [ws], () => undefined);
  const aors = new FlowAors(attachments, { has: () => false, load: () => undefined, size: 0 });
  const send = (s: WebSocket, msg: unknown) => {
    const frame = encodeFrame(msg);
    s.send(frame);
    trace.sent(s, msg, frame);
  };
  const parts = { env, config, nonces, leases, aors, attachments, trace, authResult: () => undefined, send };
  const router = new FlowRouter();
  const flow = { id: ctx.id.toString(), transport: 'WS', remoteIp: '192.0.2.1', remotePort: null, advertise: null, connectedAt: Date.now() };
  const aor = `sip:${USER}@${DOMAIN}`;
  const contact = `<sip:${USER}@${USER}.bench.invalid;transport=ws>;expires=600`;
  const now = Date.now();
  const horizon = now + 7 * 86_400_000;
  const first = applyRegister([], {
    contacts: [contact], expires: '600', callId: 'c'.repeat(20), cseq: 1, flowId: flow.id, address: { transport: 'WS', host: DOMAIN },
    source: '192.0.2.1', path: [], userAgent: 'edge-sip-bench',
  }, { minExpires: 60, maxExpires: 7200, defaultExpires: 3600, maxBindings: 16 }, now);
  const lease = {
    aor, horizon, bindings: first.value.bindings.map((b: object) => ({ ...b, heldUntil: horizon })), others: [], device: null,
    account: { username: USER, realm: DOMAIN, algorithm: 'MD5', ha1: md5(`${USER}:${DOMAIN}:pw-${USER}`) },
  };
  ws.serializeAttachment({ flow, aors: [aor], leases: { [aor]: lease }, metrics: null, liveness: null, trace: null });

  /** `FlowObject.webSocketMessage`, synchronously (a leased refresh awaits nothing). */
  const message = (data: string) => {
    const att = attachments.get(ws);
    const d = decideFrame(data, () => limits.admit(Date.now()));
    if (d.kind !== 'message') throw new Error(`unexpected ${d.kind}`);
    counters.inc(requestCounter(d.message.method));
    const res = onRequest(router, parts, ws, att, d.message);
    if (res instanceof Promise) throw new Error('the refresh went to the AOR');
    counters.inc(responseCounter(res.status));
    send(ws, res);
    leases.tellLiveness(ws, config.gb, () => []);
    counters.settle(ws, false);
    attachments.flush();
  };
  const host = `${randomBytes(6).toString('hex')}.invalid`;
  const callId = 'c'.repeat(20);
  let cseq = 1;
  const text = (authorization: string | null) => registerText({
    domain: DOMAIN, via: `WS ${host};branch=z9hG4bK${randomBytes(8).toString('hex')}`, user: USER, callId, cseq: ++cseq,
    contact, authorization, userAgent: 'edge-sip-bench',
  });
  const ha1 = lease.account.ha1;
  const ha2 = md5(`REGISTER:sip:${DOMAIN}`);
  /** One registration; returns the µs spent in the flow's code (with `--alloc`, the bytes it allocated). */
  const clock = alloc ? newSpace : () => performance.now() * 1000;
  return () => {
    const first = text(null);
    let t = clock();
    message(first);
    let spent = clock() - t;
    const challenge = String(ws.sent);
    const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
    const cnonce = randomBytes(8).toString('hex');
    const response = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
    const second = text(`Digest username="${USER}", realm="${DOMAIN}", nonce="${nonce}", uri="sip:${DOMAIN}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"`);
    t = clock();
    message(second);
    spent += clock() - t;
    if (!String(ws.sent).startsWith('SIP/2.0 200')) throw new Error(`expected 200: ${String(ws.sent).split('\r\n')[0]}`);
    return spent;
  };
}

const flows = await Promise.all(roots.map(flowOf));
const out = roots.map(() => [] as number[]);
for (const f of flows) for (let i = 0; i < 2000; i++) f(); // warm-up
const heapProfile = arg('heap-profile', '');
if (heapProfile) {
  // Where the flow's code allocates: V8's sampling heap profiler, collected objects included.
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  for (let i = 0; i < perRound; i++) flows[0]!();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(heapProfile, JSON.stringify(profile));
  console.log(`heap profile of ${perRound} registrations (client included) in ${heapProfile}`);
} else if (alloc) {
  // What two readings with nothing between them allocate.
  const empty: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const a = newSpace();
    empty.push(newSpace() - a);
  }
  const base = 2 * summarize(empty.filter((d) => d >= 0)).median;
  for (let i = 0; i < flows.length; i++) {
    const ds = Array.from({ length: perRound }, () => flows[i]!()).filter((d) => d >= 0);
    const s = summarize(ds);
    console.log(`${roots[i]}: ${Math.round(s.median - base)} bytes allocated per registration (median of ${ds.length}; readings' own ${base} taken off)`);
  }
} else {
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < flows.length; k++) {
      const i = (r + k) % flows.length;
      let us = 0;
      for (let n = 0; n < perRound; n++) us += flows[i]!();
      out[i]!.push(us / perRound);
    }
  }
  for (let i = 0; i < roots.length; i++) {
    const s = summarize(out[i]!);
    console.log(`${roots[i]}: ${s.min.toFixed(2)} µs per registration, min of ${rounds} rounds (median ${s.median.toFixed(2)}, max ${s.max.toFixed(2)})`);
  }
}
