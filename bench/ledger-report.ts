/**
 * The ledger benchmark's section of docs/benchmarks.md: units per scenario, dollars a month per 100,000
 * devices, the targets, and how each number was obtained.
 * @module
 */
import {
  beforeFlushPerHour, beforeRealTime, billed, dollars, FLEET, FLUSH_EVENTS, FLUSH_HOURS, flushesPerMonth, LEASE_DAYS, fmtN, plus, PRICES,
  SHARDS, shardCostPerMonth, UNIT_HEAD, unitCells, usd, type Billed,
} from './ledger-cost.js';
import type { LedgerResult } from './ledger.js';
import type { Units } from './ledger-scenarios.js';
import { markdownTable } from './stats.js';

const H = PRICES.hoursPerMonth;
const D = PRICES.daysPerMonth;
/** Lease renewals a month (one per lease term). */
const R = PRICES.daysPerMonth / LEASE_DAYS;
const month = (b: Billed, times: number) => usd(dollars(b, times * FLEET));
const zero = (u: Units) => u.rpcs === 0 && u.rowsWritten === 0 && u.alarms === 0 && u.alarmsSet === 0;
const flushB = (eventsPerHour: number): Billed => ({ requests: flushesPerMonth(eventsPerHour) / H, rows: 0 });

/** One more alarm run and `setAlarm` a renewal: the alarm armed at the grant fires at the old horizon and re-arms (from the code). */
const RENEWAL_ALARM: Billed = { requests: 1, rows: 1 };
/** The forced metrics flushes of a connection (at its open and its close): RPCs, and before the leases a row each. */
const connectionFlushes = (which: 'after' | 'before'): Billed => ({ requests: 2, rows: which === 'after' ? 0 : 2 });

const none: Billed = { requests: 0, rows: 0 };

/** Billed units of one tree, per device: an hour's, and a month's totals. */
interface Money {
  camera: { hour: Billed; flushPerHour: Billed; renewalPerDay: Billed | null; month: Billed };
  phone: {
    hourFree: Billed; hourBilled: Billed; reuseFree: Billed; reuseBilled: Billed; flushPerHour: Billed; renewalPerDay: Billed | null;
    reconnectPerDay: Billed; monthFree: Billed; monthBilled: Billed; reconnectMonthFree: Billed; reconnectMonthBilled: Billed;
  };
}

function money(r: LedgerResult, which: 'after' | 'before'): Money | null {
  const s = which === 'after' ? r.after : r.before?.results;
  if (!s) return null;
  const real = (u: Units, kind: 'camera' | 'phone') => (which === 'after' ? u : beforeRealTime(u, kind, r.sizes));
  const camFlush = which === 'after' ? flushB(s.gbHour.metricEvents) : beforeFlushPerHour('camera', r.sizes);
  const phoneFlush = which === 'after' ? flushB(s.phoneHourJssip.metricEvents) : beforeFlushPerHour('phone', r.sizes);
  const camRenewal = which === 'after' ? plus(billed(r.renewal.camera), RENEWAL_ALARM) : null;
  const phoneRenewal = which === 'after' ? plus(billed(r.renewal.phone), RENEWAL_ALARM) : null;
  const camHour = billed(real(s.gbHour, 'camera'));
  const [hourFree, hourBilled] = [billed(real(s.phoneHourJssip, 'phone')), billed(real(s.phoneHourJssip, 'phone'), true)];
  const reconnect = plus(billed(s.phoneReconnect), connectionFlushes(which));
  // A month of one device: 720 hours, plus what happens once a lease term (30 days ÷ the term).
  const m = (hour: Billed, flush: Billed, renewal: Billed | null) => plus(plus(none, plus(hour, flush), H), renewal ?? none, R);
  const k = (hour: Billed) => plus(none, plus(hour, phoneFlush), H);
  return {
    camera: { hour: camHour, flushPerHour: camFlush, renewalPerDay: camRenewal, month: m(camHour, camFlush, camRenewal) },
    phone: {
      hourFree, hourBilled, reuseFree: billed(real(s.phoneHourReuse, 'phone')), reuseBilled: billed(real(s.phoneHourReuse, 'phone'), true),
      flushPerHour: phoneFlush, renewalPerDay: phoneRenewal, reconnectPerDay: reconnect,
      monthFree: m(hourFree, phoneFlush, phoneRenewal), monthBilled: m(hourBilled, phoneFlush, phoneRenewal),
      reconnectMonthFree: plus(k(hourFree), reconnect, D), reconnectMonthBilled: plus(k(hourBilled), reconnect, D),
    },
  };
}

/** Dollars a month for the fleet. */
const fleet = (b: Billed) => dollars(b, FLEET);

function unitsTable(r: LedgerResult): string {
  const s = r.sizes;
  const rows: string[][] = [];
  const add = (label: string, after: Units | null, before: Units | null | undefined) => {
    rows.push([label, 'this', ...unitCells(after)]);
    if (r.before) rows.push(['', 'before', ...(before === undefined ? Array(10).fill('—') : unitCells(before))]);
  };
  const b = r.before?.results;
  add('GB camera: first registration (bridge WebSocket, REGISTER → 401 → REGISTER → 200)', r.after.gbFirst, b?.gbFirst ?? null);
  add(`GB camera: the hour (${s.keepalives} keepalives, 1 refresh: REGISTER → 401 → REGISTER → 200)`, r.after.gbHour, b?.gbHour ?? null);
  add('GB camera: lease renewal, once a lease term (the refresh past the lease horizon)', r.renewal.camera, undefined);
  add('softphone: first registration (WebSocket, REGISTER → 401 → REGISTER → 200)', r.after.phoneFirst, b?.phoneFirst ?? null);
  add(`softphone: the hour, ${s.refreshes} refreshes as JsSIP 3.13.8 sends them (each 401 first), ${s.crlf} CRLF`, r.after.phoneHourJssip, b?.phoneHourJssip ?? null);
  add(`softphone: the hour, ${s.refreshes} refreshes reusing the nonce (nc+1), ${s.crlf} CRLF`, r.after.phoneHourReuse, b?.phoneHourReuse ?? null);
  add('softphone: lease renewal, once a lease term (a JsSIP refresh past the lease horizon)', r.renewal.phone, undefined);
  add('softphone: reconnect (close, new WebSocket, REGISTER → 401 → REGISTER → 200)', r.after.phoneReconnect, b?.phoneReconnect ?? null);
  add('one call (INVITE+SDP → 100/180/200 → ACK → BYE → 200)', r.after.call, b?.call ?? null);
  return markdownTable(['scenario', 'code', ...UNIT_HEAD], rows);
}

function dollarTable(r: LedgerResult, a: Money, b: Money | null): string {
  const bb = (f: (m: Money) => string) => (b ? f(b) : 'n/a');
  const flushes = (u: Units) => fmtN(flushesPerMonth(u.metricEvents));
  const pair = (x: Billed, y: Billed) => `${usd(fleet(x))} / ${usd(fleet(y))}`;
  const rows = [
    ['camera: 720 hours', 'the hour × 720', month(a.camera.hour, H),
      bb((m) => `${usd(dollars(billed(r.before!.results.gbHour), H * FLEET))} measured, ${month(m.camera.hour, H)} with its real-time alarms`)],
    ['camera: lease renewal, once a lease term', `renewal × ${R.toFixed(2)} (30 days ÷ ${LEASE_DAYS}), + 1 alarm run and 1 \`setAlarm\` (the old one re-arming; from the code)`, month(a.camera.renewalPerDay!, R), 'n/a (no leases: every refresh went to the AOR, in the hour)'],
    ['camera: metrics flushes', `${FLUSH_EVENTS} increments or ${FLUSH_HOURS} h per flow: ${r.after.gbHour.metricEvents} increments an hour → ${flushes(r.after.gbHour)} RPCs a month (before, from its code: an RPC per message ≥ 10 s after the last, a row per counter in it)`,
      month(a.camera.flushPerHour, H), bb((m) => month(m.camera.flushPerHour, H))],
    ['**camera total**', 'hours + renewals + flushes', `**${usd(fleet(a.camera.month))}**`, bb((m) => `**${usd(fleet(m.camera.month))}**`)],
    ['softphone (JsSIP): 720 hours, CRLF not billed / billed 20:1', 'the hour × 720', `${month(a.phone.hourFree, H)} / ${month(a.phone.hourBilled, H)}`,
      bb((m) => `${pair(plus(none, billed(r.before!.results.phoneHourJssip), H), plus(none, billed(r.before!.results.phoneHourJssip, true), H))} measured, ${month(m.phone.hourFree, H)} / ${month(m.phone.hourBilled, H)} with its real-time writes`)],
    ['softphone (nonce reuse): 720 hours, CRLF not billed / billed', 'the hour × 720', `${month(a.phone.reuseFree, H)} / ${month(a.phone.reuseBilled, H)}`,
      bb((m) => `${pair(plus(none, billed(r.before!.results.phoneHourReuse), H), plus(none, billed(r.before!.results.phoneHourReuse, true), H))} measured, ${month(m.phone.reuseFree, H)} / ${month(m.phone.reuseBilled, H)} with its real-time writes`)],
    ['softphone: lease renewal, once a lease term (connected all month)', `renewal × ${R.toFixed(2)}, + 1 alarm run and 1 \`setAlarm\` (from the code)`, month(a.phone.renewalPerDay!, R), 'n/a'],
    ['softphone: metrics flushes', `${r.after.phoneHourJssip.metricEvents} increments an hour → ${flushes(r.after.phoneHourJssip)} RPCs a month`, month(a.phone.flushPerHour, H), bb((m) => month(m.phone.flushPerHour, H))],
    ['**softphone total** (JsSIP, connected all month), CRLF not billed / billed', 'hours + renewals + flushes', `**${pair(a.phone.monthFree, a.phone.monthBilled)}**`, bb((m) => `**${pair(m.phone.monthFree, m.phone.monthBilled)}**`)],
    ['softphone: one reconnect a day', 'reconnect × 30, + 1 forced metrics flush (at close; before: at open and close, + a row each)', month(a.phone.reconnectPerDay, D), bb((m) => month(m.phone.reconnectPerDay, D))],
    ['softphone total with a daily reconnect instead of the renewal, CRLF not billed / billed', 'hours + reconnects + flushes', pair(a.phone.reconnectMonthFree, a.phone.reconnectMonthBilled), bb((m) => pair(m.phone.reconnectMonthFree, m.phone.reconnectMonthBilled))],
    ['calls: a million calls (not per device)', 'one call × 1,000,000', usd(dollars(billed(r.after.call), 1e6)), bb(() => usd(dollars(billed(r.before!.results.call), 1e6)))],
    ['metrics shards, fleet-wide (not per device)', `${SHARDS.count} shards busy, a persist by alarm every ${SHARDS.persistSeconds} s, ≤ ${r.metricNames} counters each`, usd(dollars(shardCostPerMonth(r.metricNames))), 'n/a (before: in the flushes above)'],
  ];
  return markdownTable(['item (a month, 100,000 devices)', 'how', 'this code', r.before ? `before (${r.before.commit})` : 'before'], rows);
}

function targetsTable(r: LedgerResult, a: Money): string {
  const yes = (ok: boolean) => (ok ? 'yes' : '**no**');
  const steady = (u: Units) => `${u.rpcs} RPC, ${u.rowsWritten} rows, ${u.alarms} alarm runs, ${u.alarmsSet} setAlarm`;
  const hours = (hour: Billed, flush: Billed) => fleet(plus(none, plus(hour, flush), H));
  const camHours = hours(a.camera.hour, a.camera.flushPerHour);
  const cam = fleet(a.camera.month);
  const [hFree, hPaid] = [hours(a.phone.hourFree, a.phone.flushPerHour), hours(a.phone.hourBilled, a.phone.flushPerHour)];
  const [free, paid] = [fleet(a.phone.monthFree), fleet(a.phone.monthBilled)];
  const [rFree, rPaid] = [fleet(a.phone.reconnectMonthFree), fleet(a.phone.reconnectMonthBilled)];
  const both = (x: number, y: number) => [`${usd(x)} (CRLF not billed) / ${usd(y)} (CRLF billed)`, `${yes(x <= 10)} / ${yes(y <= 10)}`];
  return markdownTable(['target', 'result', 'met?'], [
    ['≤ $40 a month per 100,000 cameras: the hour × 720 + metrics flushes', usd(camHours), yes(camHours <= 40)],
    ['… and the lease renewals', usd(cam), yes(cam <= 40)],
    ['≤ $10 a month per 100,000 softphones: the hour × 720 + metrics flushes', ...both(hFree, hPaid)],
    ['… and the lease renewals (connected all month)', ...both(free, paid)],
    ['… or a reconnect a day instead of the renewal', ...both(rFree, rPaid)],
    ['0 RPCs, rows and alarms per GB keepalive and refresh (steady state)', `the hour: ${steady(r.after.gbHour)}`, yes(zero(r.after.gbHour))],
    ['0 RPCs, rows and alarms per softphone refresh (steady state)', `JsSIP hour: ${steady(r.after.phoneHourJssip)}; nonce-reuse hour: ${steady(r.after.phoneHourReuse)}`,
      yes(zero(r.after.phoneHourJssip) && zero(r.after.phoneHourReuse))],
  ]);
}

/** The title of the generated section. */
export const LEDGER_TITLE = '5. Billed units (ledger)';

/** The generated section's body (under {@link LEDGER_TITLE}). */
export function ledgerMarkdown(r: LedgerResult): string {
  const a = money(r, 'after')!;
  const b = money(r, 'before');
  const c = r.check;
  return [
    unitsTable(r), '',
    dollarTable(r, a, b), '',
    targetsTable(r, a), '',
    `- this code: ${r.commit}, ${r.sizes.keepalives === 60 ? 'full size' : `quick size (${r.sizes.keepalives} keepalives, ${r.sizes.refreshes} refreshes, ${r.sizes.crlf} CRLF: not an hour, so the dollars mean nothing)`}, counted by its own ledger (\`LEDGER=on\`, \`METRICS_FLUSH_SECONDS=0\`): \`ledger_*_total{class=…}\` from \`/metrics\`, read before and after each scenario once two reads 150 ms apart agree, the difference taken; \`class="MetricsObject"\` (the counters' own transport) left out; WebSocket messages counted where they reach an object, so CRLFs answered by the runtime's auto-response do not appear (the \`sent\` column has them)`,
    `- scenarios on fresh devices and users, compressed in time (no waiting between messages): a GB camera \`3402000000132000xxxx\` on its own UDP socket through the real udp-bridge (\`startBridge\`, rate limits lifted), MD5 digest with qop=auth in realm 3402000000, Expires 3600, keepalive MESSAGEs (\`Application/MANSCDP+xml\`, \`<Notify><CmdType>Keepalive\`) each waiting for its 200; softphones on plain WebSockets (subprotocol \`sip\`) with JsSIP's REGISTER shape (one Call-ID, \`+sip.instance\`, \`reg-id\`), Expires 600, CRLF keep-alives each waiting for the runtime's CRLF; the call between two registered softphones`,
    '- lease renewal: a second Worker started with `LEASE_SECONDS=1`, so that the first refresh of a camera and of a softphone is past the lease horizon and goes to the AOR, as one refresh a week does with the default 7-day lease; the alarm armed at the grant then fires once at the old horizon and re-arms (one alarm run and one `setAlarm` a renewal, read from the code and added in the dollars, not in the units table)',
    c ? `- cross-check: the same scenarios on this tree with the outside counting shim (\`bench/ledger-shim.ts\`) beside the built-in ledger: ${c.differences.length === 0 ? `all ${c.compared} counters agree` : `**${c.differences.length} of ${c.compared} counters differ**: ${c.differences.join('; ')}`}` : '- cross-check: not run',
    r.before
      ? `- before: \`${r.before.rev}\`${r.before.commit.startsWith(r.before.rev) ? '' : ` (${r.before.commit})`}, the commit before the leases, checked out with \`git worktree\` (its lockfile is this one's, so this node_modules is linked in), run the same way; it has no ledger, so its units were counted from outside by \`bench/ledger-shim.ts\`: its Durable Object classes re-exported as subclasses that wrap \`ctx.storage.sql.exec\` (each cursor's \`rowsWritten\`, miniflare's own \`__miniflare_do_name\` bookkeeping left out), \`ctx.storage.setAlarm\`, and every handler and method entered from the runtime (an RPC: no JavaScript frame below the wrapper; the old classes' TypeScript-private helpers are ordinary methods). Its code is not changed. Compressed time hides what it did between messages in real time, added from its code in the dollars ("with real-time alarms"): a camera's alarm re-armed every ≤ 180 s (≥ 20 runs and \`setAlarm\` an hour), a softphone refresh 10 minutes apart wrote its binding and re-armed its expiry alarm (one row, one run, one \`setAlarm\` each); its metrics flushed after any message ≥ 10 s after the last (an RPC and a row per counter)`
      : '- before: not run (`--before <rev>`)',
    `- dollars: ${'`../shared/reference/workers-durable-objects.md`'} §3.1 (Cloudflare's Durable Objects and Workers pricing pages): $${PRICES.requestPerMillion} per million requests (RPC, fetch, alarm: one each; incoming WebSocket messages ${PRICES.wsMessagesPerRequest}:1), $${PRICES.rowPerMillion.toFixed(2)} per million rows written (\`setAlarm\` one each); 30-day month (${H} h); free tiers and the plan's $5 left out; duration (hibernated objects), rows read ($0.001/M) and the front Worker's request per WebSocket upgrade ($0.30/M) not counted; whether CRLFs answered by auto-response are billed as incoming messages is not documented, so both cases are shown`,
    `- metrics flushes: production policy (src/config.ts, src/objects/metrics-buffer.ts): a flow sends its counters after ${FLUSH_EVENTS} increments or ${FLUSH_HOURS} h, and at once when its connection closes; the increments an hour are the \`sip_*\` counters the hour moved`,
  ].join('\n');
}
