/**
 * The ledger benchmark's scenarios, each on fresh devices or users and compressed in time: a GB/T 28181
 * camera's first registration and its hour (keepalives and one refresh, through the real udp-bridge), a
 * softphone's first registration, its hour (refreshes and CRLF keep-alives) and a reconnect, and one call.
 * Each is measured as the difference of `/metrics` before and after it, both read once settled.
 * @module
 */
import { randomInt } from 'node:crypto';
import { oneCall } from './ledger-call.js';
import { UdpCamera } from './ledger-camera.js';
import { WsPhone } from './ledger-sip.js';
import { delta, LEDGER_BRIDGE_TOKEN, LEDGER_GB_PASSWORD, type Counters, type LedgerWorker } from './ledger-worker.js';
import { startBenchBridge } from './udp-register.js';

/** Billed units of one scenario (every class but `MetricsObject`, the counters' own transport). */
export interface Units {
  /** Incoming WebSocket messages that reached an object (auto-answered CRLFs never do). */
  wsMessages: number;
  fetches: number;
  rpcs: number;
  /** Alarm invocations. */
  alarms: number;
  rowsWritten: number;
  /** `setAlarm` calls (each billed as a row written). */
  alarmsSet: number;
  /** RPC calls by `Class.method`. */
  methods: Record<string, number>;
  /** SIP messages the clients sent. */
  sentSip: number;
  /** CRLF keep-alives the clients sent. */
  sentCrlf: number;
  /** Increments of the service's own counters (`sip_*`): what a flow's metrics buffer collects. */
  metricEvents: number;
}

const LEDGER_NAME = /^ledger_(\w+)_total\{class="(\w+)"(?:,kind="(\w+)")?(?:,method="(\w+)")?\}$/;

/** The units in a `/metrics` difference, with what the clients sent. */
export function unitsOf(d: Counters, sent: { sip: number; crlf: number }): Units {
  const u: Units = { wsMessages: 0, fetches: 0, rpcs: 0, alarms: 0, rowsWritten: 0, alarmsSet: 0, methods: {}, sentSip: sent.sip, sentCrlf: sent.crlf, metricEvents: 0 };
  for (const [name, n] of d) {
    const m = LEDGER_NAME.exec(name);
    if (!m) {
      if (!name.startsWith('ledger_')) u.metricEvents += n;
      continue;
    }
    const [, unit, cls, kind, method] = m;
    if (cls === 'MetricsObject') continue;
    if (unit === 'ws_messages') u.wsMessages += n;
    else if (unit === 'rows_written') u.rowsWritten += n;
    else if (unit === 'alarms_set') u.alarmsSet += n;
    else if (unit === 'requests' && kind === 'fetch') u.fetches += n;
    else if (unit === 'requests' && kind === 'alarm') u.alarms += n;
    else if (unit === 'requests' && kind === 'rpc') {
      u.rpcs += n;
      const key = `${cls}.${method}`;
      u.methods[key] = (u.methods[key] ?? 0) + n;
    }
  }
  return u;
}

/** How big each scenario is. */
export interface ScenarioSizes {
  /** GB keepalive MESSAGEs in the camera's hour (one a minute: 60). */
  keepalives: number;
  /** REGISTER refreshes in the softphone's hour (Expires 600: 6). */
  refreshes: number;
  /** CRLF keep-alives in the softphone's hour (one every 30 s: 120). */
  crlf: number;
}

/** Everything one tree was measured doing. */
export interface ScenarioResults {
  gbFirst: Units;
  gbHour: Units;
  phoneFirst: Units;
  /** Refreshes reusing the nonce with the next nonce count (401 stale=true answered). */
  phoneHourReuse: Units;
  /** Refreshes as JsSIP 3.13.8 sends them: each without credentials first, then the answer to the 401. */
  phoneHourJssip: Units;
  /** The softphone's WebSocket closed, a new one opened and registered. */
  phoneReconnect: Units;
  call: Units;
}

/** Fresh names: one run's devices and users never meet another's on the same Worker. */
const run = () => String(randomInt(0, 10_000)).padStart(4, '0');

/** Measure `fn` (which returns what its clients sent) as a settled `/metrics` difference. */
export async function measure(w: LedgerWorker, fn: () => Promise<{ sip: number; crlf: number }>): Promise<Units> {
  const before = await w.settled();
  const sent = await fn();
  return unitsOf(delta(before, await w.settled()), sent);
}

/** A GB camera's first registration and its hour, through a udp-bridge in this process. */
export async function gbScenario(w: LedgerWorker, s: ScenarioSizes, id = `3402000000132000${run()}`): Promise<{ first: Units; hour: Units }> {
  const { bridge, target } = await startBenchBridge(w.ws, LEDGER_BRIDGE_TOKEN);
  const cam = await UdpCamera.open(target, id, LEDGER_GB_PASSWORD);
  try {
    let mark = 0;
    const sent = () => {
      const n = cam.sent - mark;
      mark = cam.sent;
      return { sip: n, crlf: 0 };
    };
    const first = await measure(w, async () => {
      await cam.register();
      return sent();
    });
    const hour = await measure(w, async () => {
      for (let k = 0; k < s.keepalives; k++) await cam.keepalive();
      // A camera refreshes without credentials and answers the 401 (its nonce is an hour old by then).
      await cam.register();
      return sent();
    });
    return { first, hour };
  } finally {
    cam.close();
    await bridge.close();
  }
}

/** A camera's and a softphone's refresh after their first registration (on a Worker whose leases end at once: the daily renewal). */
export async function renewals(w: LedgerWorker): Promise<{ camera: Units; phone: Units }> {
  const camera = (await gbScenario(w, { keepalives: 0, refreshes: 0, crlf: 0 })).hour;
  const user = `ledger-r${run()}`;
  await w.provision(user, `pw-${user}`);
  const p = await WsPhone.open(w.ws, user, `pw-${user}`);
  try {
    await p.register();
    const phone = await measure(w, async () => {
      const sip0 = p.sent;
      await p.register();
      return { sip: p.sent - sip0, crlf: 0 };
    });
    return { camera, phone };
  } finally {
    p.close();
  }
}

async function phoneHour(w: LedgerWorker, p: WsPhone, s: ScenarioSizes, refresh: () => Promise<unknown>): Promise<Units> {
  return measure(w, async () => {
    const sip0 = p.sent;
    const crlf0 = p.crlfSent;
    for (let k = 0; k < s.refreshes; k++) {
      // The hour's keep-alives spread between its refreshes, as a timer would send them.
      const upto = Math.round((s.crlf * (k + 1)) / s.refreshes);
      while (p.crlfSent - crlf0 < upto) await p.crlf();
      await refresh();
    }
    while (p.crlfSent - crlf0 < s.crlf) await p.crlf();
    return { sip: p.sent - sip0, crlf: p.crlfSent - crlf0 };
  });
}

/** The softphone scenarios and the call, on users provisioned here. */
export async function phoneScenarios(w: LedgerWorker, s: ScenarioSizes): Promise<Omit<ScenarioResults, 'gbFirst' | 'gbHour'>> {
  const r = run();
  const users = ['p', 'j', 'a', 'b'].map((x) => `ledger-${x}${r}`);
  for (const u of users) await w.provision(u, `pw-${u}`);
  const [pu, ju, au, bu] = users as [string, string, string, string];
  const phones: WsPhone[] = [];
  const open = async (u: string) => {
    const p = await WsPhone.open(w.ws, u, `pw-${u}`);
    phones.push(p);
    return p;
  };
  try {
    const first: { phone?: WsPhone } = {};
    const phoneFirst = await measure(w, async () => {
      const p = (first.phone = await open(pu));
      await p.register();
      return { sip: p.sent, crlf: 0 };
    });
    const p = first.phone!;
    const phoneHourReuse = await phoneHour(w, p, s, () => p.refreshReusingNonce());
    const phoneReconnect = await measure(w, async () => {
      await p.closeGracefully();
      const again = await open(pu);
      await again.register();
      return { sip: again.sent, crlf: 0 };
    });
    const jp = await open(ju);
    await jp.register();
    const phoneHourJssip = await phoneHour(w, jp, s, () => jp.register());
    const [a, b] = [await open(au), await open(bu)];
    await a.register();
    await b.register();
    const call = await measure(w, async () => {
      const [sa, sb] = [a.sent, b.sent];
      await oneCall(a, b);
      return { sip: a.sent - sa + b.sent - sb, crlf: 0 };
    });
    return { phoneFirst, phoneHourReuse, phoneHourJssip, phoneReconnect, call };
  } finally {
    for (const p of phones) p.close();
  }
}

/** Every scenario against one Worker. */
export async function allScenarios(w: LedgerWorker, s: ScenarioSizes): Promise<ScenarioResults> {
  const gb = await gbScenario(w, s);
  return { gbFirst: gb.first, gbHour: gb.hour, ...(await phoneScenarios(w, s)) };
}
