/**
 * Kit for the GB/T 28181 end-to-end tests (the Worker itself comes from the harness's `startService`, which
 * sets the shared device password): SIPp runs acting as a camera or an NVR through the real udp-bridge (see ../udp/udp-kit.ts, reused here), SIPp trace parsing, and the GB2312 catalog items.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { GB_PASSWORD, startService, type Service } from '../harness.js';
import type { DeviceView } from '../../../src/objects/aor-gb.js';
import { eventually, killAllSipp, startSipp, startTestBridge, type SippOptions, type SippRun, type TestBridge } from '../udp/udp-kit.js';

/** The service's GB side (wrangler.toml vars). */
export const PLATFORM = '34020000002000000001';
export const REALM = '3402000000';
export { GB_PASSWORD };

/** A fresh 20-digit device ID in the realm: 3402000000 + type (132 IPC, 118 NVR, 131 camera channel) + 0 + 6 random digits. */
export function newDeviceId(type: '132' | '118' | '131'): string {
  return `${REALM}${type}0${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
}

/** What every GB end-to-end file runs against: a started Worker and the real bridge in front of it. */
export interface GbLab {
  svc: Service;
  bridge: TestBridge;
}

/**
 * Start the Worker (with `vars`, e.g. a short keepalive policy) and the bridge before the file's tests, kill
 * SIPp after each, and stop both after all. The fields are set once `beforeAll` has run.
 */
export function gbLab(vars: Record<string, string> = {}): GbLab {
  const lab = {} as GbLab;
  beforeAll(async () => {
    lab.svc = await startService(vars);
    lab.bridge = await startTestBridge(lab.svc.ws);
  });
  afterEach(async () => {
    await killAllSipp();
  });
  afterAll(async () => {
    await killAllSipp();
    await lab.bridge?.close();
    await lab.svc?.close();
  });
  return lab;
}

/** Call the GB API (`/api/v1/gb28181…`) and read its JSON. */
export async function gbApi<T = Record<string, unknown>>(svc: Service, path: string, init: RequestInit = {}): Promise<{ status: number; body: T; text: string }> {
  const res = await svc.admin(`/gb28181${path}`, init);
  const text = await res.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = undefined as T;
  }
  return { status: res.status, body, text };
}

/** What `GET /devices/{id}` shows. */
export type DeviceJson = DeviceView;

/** Poll `GET /devices/{id}` until `ok` holds (or `ms` passes); returns the last answer. */
export function deviceUntil(svc: Service, id: string, ok: (d: { status: number; body: DeviceJson }) => boolean, ms = 10_000) {
  return eventually(() => gbApi<DeviceJson>(svc, `/devices/${id}`), ok, ms, 100);
}

/** Options of {@link gbSipp}. */
export interface GbSippOptions {
  scenario: string;
  bridgePort: number;
  localPort: number;
  /** Device ID: [service] and the digest user. */
  id: string;
  keys?: Record<string, string>;
  timeoutMs?: number;
  calls?: number;
}

/**
 * Start SIPp as a GB device: [domain] the realm, [platform] the platform ID, [password], [expires] 3600,
 * digest uri (for [authentication]) the platform's URI.
 */
export function gbSipp(o: GbSippOptions): SippRun {
  const opts: SippOptions = {
    scenario: o.scenario,
    remotePort: o.bridgePort,
    localPort: o.localPort,
    user: o.id,
    password: GB_PASSWORD,
    keys: { domain: REALM, platform: PLATFORM, password: GB_PASSWORD, expires: '3600', ...o.keys },
    timeoutMs: o.timeoutMs ?? 30_000,
    // The digest uri a camera uses: the platform's URI (SIPp's default is sip:<remote ip>:<port>).
    extra: ['-auth_uri', `${PLATFORM}@${REALM}`],
    ...(o.calls ? { calls: o.calls } : {}),
  };
  return startSipp(opts);
}

/** One message of a SIPp `-trace_msg` file (bytes as latin1 text, so GB2312 survives: `Buffer.from(text, 'latin1')`). */
export interface TracedMessage {
  dir: 'sent' | 'received';
  text: string;
  /** Start line. */
  first: string;
  header(name: string): string | undefined;
  headers(name: string): string[];
  body: string;
}

/** Split a SIPp message trace into messages. */
export function parseTrace(trace: string): TracedMessage[] {
  const out: TracedMessage[] = [];
  for (const chunk of trace.split(/^-{20,}[^\n]*\n/m)) {
    const m = /^(UDP|TCP) message (sent|received)[^\n]*\n\n/.exec(chunk);
    if (!m) continue;
    let text = chunk.slice(m[0].length);
    // SIPp writes a bare LF after each traced message.
    text = text.replace(/\n$/, '');
    const sep = text.indexOf('\r\n\r\n');
    const head = sep >= 0 ? text.slice(0, sep) : text;
    const body = sep >= 0 ? text.slice(sep + 4) : '';
    const lines = head.split('\r\n');
    const first = lines.shift() ?? '';
    const hs = lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const);
    const headers = (n: string) => hs.filter(([k]) => k === n.toLowerCase()).map(([, v]) => v);
    out.push({ dir: m[2] as 'sent' | 'received', text, first, header: (n) => headers(n)[0], headers, body });
  }
  return out;
}

/** The GB2312 bytes of the two channel names of example 07 (`大门口`, `停车场`). */
export const GB2312_NAMES = {
  gate: Buffer.from([0xb4, 0xf3, 0xc3, 0xc5, 0xbf, 0xda]),
  parking: Buffer.from([0xcd, 0xa3, 0xb3, 0xb5, 0xb3, 0xa1]),
};

/** The two channels of example 07 (vector 4), as the test expects them back from the API. */
export function catalogChannels(nvr: string) {
  return [
    { deviceId: `${REALM}1310000001`, name: '大门口', nameBytes: GB2312_NAMES.gate, address: 'Gate 1', status: 'ON', ptzType: 1, parentId: nvr },
    { deviceId: `${REALM}1310000002`, name: '停车场', nameBytes: GB2312_NAMES.parking, address: 'Lot B', status: 'OFF', ptzType: 3, parentId: nvr },
  ];
}

/** One `<Item>` of example 07, GB2312-encoded, CRLF line ends, no trailing line end (SIPp adds it). */
function itemBytes(c: ReturnType<typeof catalogChannels>[number]): Buffer {
  const a = (s: string) => Buffer.from(s, 'latin1');
  return Buffer.concat([
    a(`<Item>\r\n<DeviceID>${c.deviceId}</DeviceID>\r\n<Name>`),
    c.nameBytes,
    a(
      `</Name>\r\n<Manufacturer>Acme</Manufacturer>\r\n<Model>IPC-100</Model>\r\n<Owner>Owner</Owner>\r\n<CivilCode>340200</CivilCode>\r\n` +
        `<Address>${c.address}</Address>\r\n<Parental>0</Parental>\r\n<ParentID>${c.parentId}</ParentID>\r\n<SafetyWay>0</SafetyWay>\r\n` +
        `<RegisterWay>1</RegisterWay>\r\n<Secrecy>0</Secrecy>\r\n<Status>${c.status}</Status>\r\n<Info>\r\n<PTZType>${c.ptzType}</PTZType>\r\n</Info>\r\n</Item>`,
    ),
  ]);
}

/** Write catalog-item-a.xml and catalog-item-b.xml (GB2312) for gb-nvr-catalog.xml; returns the directory. */
export function writeCatalogItems(nvr: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gb-catalog-'));
  const [a, b] = catalogChannels(nvr);
  writeFileSync(join(dir, 'catalog-item-a.xml'), itemBytes(a!));
  writeFileSync(join(dir, 'catalog-item-b.xml'), itemBytes(b!));
  return dir;
}
