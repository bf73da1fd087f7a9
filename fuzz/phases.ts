/**
 * The two fuzzing phases: many WebSocket connections straight to the Worker, then many UDP source ports through
 * the bridge. Each ends with the liveness check: every connection used answers an OPTIONS (a closed one through a
 * fresh connection of the same kind), every source port used gets its OPTIONS answered.
 * @module
 */
import { Budget, FuzzFlow, type FlowOptions } from './flow.js';
import { UdpLink, WsLink } from './links.js';
import { type Identity } from './seeds.js';
import type { Tally } from './tally.js';

/** Close codes the Worker (or workerd) is expected to use on a fuzzed connection. */
export const EXPECTED_CLOSES = new Set([1007, 1008, 1009]);

/** Who flow `i` of a phase is: a quarter never registers, a quarter are GB cameras, half are SIP users. */
export function identityOf(transport: 'WS' | 'UDP', i: number, sentBy: string): Identity {
  const k = i % 4;
  const kind = k === 3 ? 'anon' : k === 2 ? 'gb' : 'sip';
  const t = transport === 'WS' ? 'w' : 'u';
  const user = kind === 'gb' ? `3402000000132${transport === 'WS' ? '0' : '1'}${String(i).padStart(6, '0')}` : kind === 'sip' ? `fz-${t}${i}` : `anon-${t}${i}`;
  return { transport, kind, user, password: kind === 'gb' ? '12345678' : `pw-${user}`, sentBy, peers: [] };
}

/** The address WebSocket flow `i` connects from (its own, so one flow's guessing blocks no other). */
export const wsAddress = (i: number) => `10.13.${i >> 8}.${i & 255}`;

/** The users of a phase's SIP identities (to provision). */
export function sipUsers(transport: 'WS' | 'UDP', n: number): string[] {
  return Array.from({ length: n }, (_, i) => identityOf(transport, i, '')).filter((id) => id.kind === 'sip').map((id) => id.user);
}

/** Fill in each identity's peers: the registered identities of its phase, itself excluded. */
function withPeers(ids: Identity[]): Identity[] {
  const names = ids.filter((x) => x.kind !== 'anon').map((x) => x.user);
  return ids.map((x) => ({ ...x, peers: names.filter((n) => n !== x.user) }));
}

/** Knobs of one phase. */
export interface PhaseOptions extends Omit<FlowOptions, 'answerTimeoutMs' | 'retransmitMs'> {
  count: number;
  deadline: number;
  flows: number;
}

/** Fuzz over `flows` WebSocket connections; returns when the budget is spent and every connection was checked. */
export async function runWsPhase(url: string, o: PhaseOptions, tally: Tally): Promise<Budget> {
  const budget = new Budget(o.count, o.deadline);
  const fo: FlowOptions = { ...o, answerTimeoutMs: 15_000, retransmitMs: 0 };
  const ids = withPeers(Array.from({ length: o.flows }, (_, i) => identityOf('WS', i, `fz${i}.invalid`)));
  const used: { link: WsLink; slot: number }[] = [];
  const connect = async (flow: FuzzFlow, slot: number): Promise<boolean> => {
    let link: WsLink | null = null;
    for (let attempt = 1; link === null; attempt++) {
      link = await WsLink.open(url, wsAddress(slot)).catch((e: Error) => {
        if (attempt >= 5) tally.finding({ kind: 'connect failed', detail: e.message, flow: flow.name, messages: flow.recent() });
        return null;
      });
      if (link === null && attempt >= 5) return false;
      if (link === null) await new Promise((r) => setTimeout(r, 1_000));
    }
    used.push({ link, slot });
    tally.connections++;
    link.onData = (b) => flow.onData(b);
    flow.attach(link);
    void link.closed.then((code) => {
      if (link.ours) return;
      tally.close(code);
      if (!EXPECTED_CLOSES.has(code) && !(code === 1007 && flow.recent().some((m) => m.framing === 'bad-utf8-text'))) {
        tally.finding({ kind: `close ${code}`, detail: `connection closed by the server with ${code}`, flow: flow.name, messages: flow.recent() });
      }
    });
    await flow.register();
    return true;
  };
  const flows = ids.map((id, i) => new FuzzFlow(`w${i}`, id, tally, fo));
  await Promise.all(flows.map(async (flow, slot) => {
    if (!(await connect(flow, slot))) return;
    for (;;) {
      const end = await flow.run(budget);
      if (end === 'done') return;
      if (end === 'closed') await used.findLast((u) => u.slot === slot)?.link.settle();
      // Closed (or hung): carry on over a new connection, a new FlowObject; the old one is checked at the end.
      if (!(await connect(flow, slot))) return;
    }
  }));
  for (const f of flows) f.stop();
  await new Promise((r) => setTimeout(r, 3_000)); // late answers (routed requests) still count
  // Liveness: each connection used answers an OPTIONS; a closed one's flow, through a fresh connection.
  await pool(used, 16, async ({ link, slot }, i) => {
    const flow = new FuzzFlow(`check${i}`, ids[slot]!, tally, fo);
    let l = link;
    if (!link.isOpen()) {
      l = await WsLink.open(url, wsAddress(slot));
      tally.liveness.fresh++;
    }
    l.onData = (b) => flow.onData(b);
    flow.attach(l);
    tally.liveness.checked++;
    if (await flow.options('liveness')) tally.liveness.ok++;
    else tally.liveness.failed.push(`connection ${i}${l === link ? '' : ' (fresh)'}`);
    if (l !== link) await l.close();
  });
  await Promise.all(used.map(({ link }) => link.close()));
  return budget;
}

/** Fuzz from `flows` UDP source ports (spread over 127.0.0.2–9) through the bridge at `bridgePort`. */
export async function runUdpPhase(bridgePort: number, o: PhaseOptions, tally: Tally): Promise<Budget> {
  const budget = new Budget(o.count, o.deadline);
  const fo: FlowOptions = { ...o, maxBytes: Math.min(o.maxBytes, 65_507), answerTimeoutMs: 15_000, retransmitMs: 500 };
  const links = await Promise.all(Array.from({ length: o.flows }, (_, i) => UdpLink.open(`127.0.0.${2 + (i % 8)}`, bridgePort)));
  const ids = withPeers(links.map((l, i) => identityOf('UDP', i, `${l.address}:${l.port}`)));
  const flows = ids.map((id, i) => new FuzzFlow(`u${i}`, id, tally, fo));
  tally.connections += links.length;
  await Promise.all(flows.map(async (flow, i) => {
    const link = links[i]!;
    link.onData = (b) => flow.onData(b);
    flow.attach(link);
    await flow.register();
    while ((await flow.run(budget)) !== 'done');
  }));
  for (const f of flows) f.stop();
  await new Promise((r) => setTimeout(r, 3_000));
  await pool(flows, 16, async (flow) => {
    tally.liveness.checked++;
    if (await flow.options('liveness')) tally.liveness.ok++;
    else tally.liveness.failed.push(`source ${flow.id.sentBy}`);
  });
  for (const l of links) tally.sendErrors += l.sendErrors;
  await Promise.all(links.map((l) => l.close()));
  return budget;
}

/** Run `fn` over `items`, at most `limit` at once. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}
