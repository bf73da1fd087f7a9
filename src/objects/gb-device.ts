/**
 * The GB/T 28181 side of a device's AOR object: its state (online, keepalive,
 * DeviceInfo, channels), queries answered asynchronously by the device and
 * matched on (CmdType, SN), DeviceControl, and live-view INVITE sessions.
 * @module
 */
import type { GbConfig } from '../config.js';
import { catalogResponse, deviceInfoResponse, deviceStatusResponse, parseManscdpBody, recordInfoResponse, type CatalogItem, type ManscdpMessage } from '../gb28181/manscdp.js';
import { buildControl, buildQuery, type ControlCommand, type QueryCmdType, type QueryExtra } from '../gb28181/manscdp-build.js';
import { CatalogAssembly } from '../gb28181/catalog.js';
import { contentTypeCharset } from '../gb28181/charset.js';
import * as device from '../gb28181/device.js';
import type { DeviceState } from '../gb28181/device.js';
import { buildPlayOffer, makeSsrc, parseAnswer, subjectHeader, type PlayOffer } from '../gb28181/sdp.js';
import { isSsrc } from '../gb28181/ssrc.js';
import type { Binding } from '../registrar/bindings.js';
import type { PlatformDialog, PlatformRequests, PlatformResult } from './platform-requests.js';

/** MANSCDP content type (GB/T 28181 §8.3). */
export const MANSCDP = 'Application/MANSCDP+xml';

/** Outcome of a query: the device's data, or why there is none. */
export type QueryOutcome =
  | { kind: 'done'; cmdType: QueryCmdType; sn: number; complete: boolean; data: unknown }
  | { kind: 'rejected'; status: number; reason: string }
  | { kind: 'timeout'; sn: number };

interface Pending {
  cmdType: QueryCmdType;
  sn: number;
  assembly: CatalogAssembly | null;
  finish: (o: QueryOutcome) => void;
  /** Catalog only: closes the assembly as partial when no new part comes for {@link CATALOG_GAP_MS}. */
  gapTimer?: ReturnType<typeof setTimeout>;
  closed?: boolean;
}

/** A live-view session the platform started. */
export interface LiveSession {
  callId: string;
  channelId: string;
  ssrc: string;
  answer: string;
  media: { ip: string; port: number };
  dialog: PlatformDialog;
  startedAt: number;
  /** With a media server: what the session streams, its stream id, and the device's own `y=` when it differs. */
  kind?: 'live' | 'playback' | 'download';
  stream?: string;
  deviceSsrc?: string;
}

/** What an INVITE asks beyond live view of the main stream (playback, download, stream selection, a given SSRC). */
export type InviteOptions = Pick<PlayOffer, 'session' | 'time' | 'downloadSpeed' | 'streamSelect'> & Pick<LiveSession, 'kind' | 'stream'> & { ssrc?: string };

/** How long a Catalog may pause between parts before it is closed as partial. */
export const CATALOG_GAP_MS = 5_000;

/** GB28181 behaviour of one device's object. */
export class GbDevice {
  private readonly pending = new Map<string, Pending>();
  private snCounter: number;
  /** Other `Notify` MESSAGEs (alarms, positions: `gb-subscriptions.ts`); its answer, or null to go on here. */
  onNotify: ((m: ManscdpMessage, now: number) => { status: number; reason: string } | null) | null = null;

  constructor(
    private readonly gb: GbConfig,
    private state: DeviceState,
    private readonly persist: (s: DeviceState, before: DeviceState) => void,
    now: number,
  ) {
    this.snCounter = now % 100_000;
  }

  private get aor(): string {
    return `sip:${this.state.deviceId}@${this.gb.realm}`;
  }

  /** The current state (for the API). */
  get current(): DeviceState {
    return this.state;
  }

  /**
   * Move to `next`. Not persisted when only the last keepalive time moved (it is read from the flow) or the
   * registration's end moved later (a lease renewal: the AOR derives it again from its bindings on load).
   */
  private set(next: DeviceState): void {
    if (next === this.state) return;
    const before = this.state;
    this.state = next;
    const later = (next.registrationExpiresAt ?? 0) >= (before.registrationExpiresAt ?? 0);
    const rest = (s: DeviceState) => JSON.stringify({ ...s, lastKeepaliveAt: 0, registrationExpiresAt: 0 });
    if (!later || rest(next) !== rest(before)) this.persist(next, before);
  }

  /** On load: the registration lasts at least as long as the bindings the AOR holds (renewals are not written). */
  heldUntil(until: number | null): void {
    if (until !== null && this.state.online && (this.state.registrationExpiresAt ?? 0) < until) this.state = { ...this.state, registrationExpiresAt: until };
  }

  /** After a REGISTER: the device's bindings now end at `expiresAt` (null: unregistered). */
  onRegister(expiresAt: number | null, meta: { now: number; source: string; transport: string; userAgent: string | null; gbVersion: string | null }): void {
    if (expiresAt === null) this.set(device.unregistered(this.state));
    else this.set(device.registered(this.state, { ...meta, expiresAt }));
  }

  /** When the registration ends (offline then), or null. */
  deadline(): number | null {
    return device.offlineDeadline(this.state);
  }

  /** The alarm fired: apply a passed registration end. */
  expire(now: number): void {
    this.set(device.expire(this.state, now));
  }

  /** The channel list changed by catalog NOTIFYs (a catalog subscription, GB/T 28181 §9.11.2). */
  setChannels(channels: CatalogItem[], now: number): void {
    this.set({ ...this.state, channels, catalogUpdatedAt: now });
  }

  /** The device fell silent, or its connection ended. */
  silent(reason: device.SilenceReason): void {
    this.set(device.silent(this.state, reason));
  }

  /** A MESSAGE from the registered device: keepalive, or an answer to one of our queries. Returns the status to answer. */
  onMessage(body: Uint8Array, contentType: string | null, now: number): { status: number; reason: string } {
    const parsed = parseManscdpBody(body, contentTypeCharset(contentType ?? undefined));
    if (!parsed.ok) return { status: 400, reason: `Bad Request (${parsed.error})` };
    const m = parsed.value;
    if (m.root === 'Notify' && m.cmdType === 'Keepalive') {
      this.set(device.keepalive(this.state, now));
      return { status: 200, reason: 'OK' };
    }
    const handled = m.root === 'Notify' ? this.onNotify?.(m, now) : null;
    if (handled) return handled;
    if (m.root === 'Response') this.onResponse(m.cmdType, m.sn, m, now);
    return { status: 200, reason: 'OK' };
  }

  private onResponse(cmdType: string, sn: number, m: Parameters<typeof catalogResponse>[0], now: number): void {
    const p = this.pending.get(`${cmdType}|${sn}`);
    if (!p) return;
    if (cmdType === 'Catalog') {
      const r = catalogResponse(m);
      if (!r.ok || !p.assembly) return;
      const before = p.assembly.received;
      p.assembly.add(r.value, now);
      if (p.assembly.complete) this.finishCatalog(p);
      else if (p.assembly.received > before) {
        // Parts keep coming while they bring new items; a pause closes the Catalog as partial.
        clearTimeout(p.gapTimer);
        p.gapTimer = setTimeout(() => this.finishCatalog(p), CATALOG_GAP_MS);
      }
      return;
    }
    const data = cmdType === 'DeviceInfo' ? deviceInfoResponse(m) : cmdType === 'DeviceStatus' ? deviceStatusResponse(m) : recordInfoResponse(m);
    if (!data.ok) return;
    if (cmdType === 'DeviceInfo') {
      const info = data.value as { deviceName?: string; manufacturer?: string; model?: string; firmware?: string; channel?: number };
      this.set({ ...this.state, info: { deviceName: info.deviceName ?? null, manufacturer: info.manufacturer ?? null, model: info.model ?? null, firmware: info.firmware ?? null, channel: info.channel ?? null } });
    } else if (cmdType === 'DeviceStatus') {
      this.set({ ...this.state, status: data.value as unknown as Record<string, unknown> });
    }
    p.finish({ kind: 'done', cmdType: p.cmdType, sn: p.sn, complete: true, data: data.value });
  }

  private finishCatalog(p: Pending): void {
    if (p.closed) return;
    p.closed = true;
    clearTimeout(p.gapTimer);
    const r = p.assembly!.result();
    this.set({ ...this.state, channels: r.items, catalogUpdatedAt: Date.now(), catalogComplete: r.complete });
    p.finish({ kind: 'done', cmdType: 'Catalog', sn: p.sn, complete: r.complete, data: r });
  }

  /** Send a query and wait (bounded) for the device's asynchronous answer. */
  async query(platform: PlatformRequests, bindings: readonly Binding[], cmdType: QueryCmdType, waitMs: number, extra?: QueryExtra): Promise<QueryOutcome> {
    const sn = this.nextSn();
    const key = `${cmdType}|${sn}`;
    let finish!: (o: QueryOutcome) => void;
    const done = new Promise<QueryOutcome>((resolve) => (finish = resolve));
    const p: Pending = { cmdType, sn, assembly: cmdType === 'Catalog' ? new CatalogAssembly(this.state.deviceId, sn, Date.now()) : null, finish };
    this.pending.set(key, p);
    const timer = setTimeout(() => {
      if (p.assembly && p.assembly.result().items.length > 0) this.finishCatalog(p);
      else finish({ kind: 'timeout', sn });
    }, waitMs);
    // The data may arrive before the device's 200 to the query: whichever settles first wins.
    void this.sendMessage(platform, bindings, buildQuery(cmdType, sn, this.state.deviceId, extra), waitMs).then((sent) => {
      if (sent.status >= 300) finish({ kind: 'rejected', status: sent.status, reason: sent.reason });
    });
    const outcome = await done;
    clearTimeout(timer);
    clearTimeout(p.gapTimer);
    p.closed = true;
    this.pending.delete(key);
    return outcome;
  }

  /** DeviceControl (PTZ, guard, reboot): the device's final status to the MESSAGE. */
  control(platform: PlatformRequests, bindings: readonly Binding[], targetId: string, command: ControlCommand, waitMs: number): Promise<PlatformResult> {
    return this.sendMessage(platform, bindings, buildControl(this.nextSn(), targetId, command), waitMs);
  }

  /**
   * Start live view of a channel (or, by `opts`, playback or download): INVITE with the offer towards the media
   * server, ACK the 2xx. A device's own `y=` is kept when it is a valid SSRC (WVP adopts it).
   */
  async startLive(platform: PlatformRequests, bindings: readonly Binding[], channelId: string, media: { ip: string; port: number; tcp?: boolean }, waitMs: number, now: number, opts: InviteOptions = {}): Promise<{ result: PlatformResult; session?: LiveSession }> {
    const { ssrc: given, kind, stream, ...sdp } = opts;
    const ssrc = given ?? makeSsrc(this.gb.realm, (sdp.session ?? 'Play') === 'Play', this.nextSn() % 10_000);
    const offer = buildPlayOffer({ mediaIp: media.ip, mediaPort: media.port, ssrc, channelId, tcp: media.tcp ?? false, ...sdp });
    const channelBindings = bindings.map((b) => ({ ...b, uri: withUser(b.uri, channelId) }));
    const result = await platform.send({
      method: 'INVITE', aor: this.aor, from: `sip:${this.gb.platformId}@${this.gb.realm}`, to: `sip:${channelId}@${this.gb.realm}`,
      headers: [['Subject', subjectHeader(channelId, ssrc, this.gb.platformId)], ['Contact', `<sip:${this.gb.platformId}@${this.gb.realm}>`]],
      contentType: 'application/sdp', body: offer, timeoutMs: waitMs,
    }, channelBindings);
    if (result.status >= 300 || !result.dialog) return { result };
    await platform.sendInDialog(result.dialog, 'ACK', waitMs);
    const answer = parseAnswer(result.body ?? '');
    const session: LiveSession = {
      callId: result.dialog.callId, channelId, ssrc, answer: result.body ?? '',
      media: answer.ok ? { ip: answer.value.ip, port: answer.value.port } : { ip: '', port: 0 }, dialog: result.dialog, startedAt: now,
      ...(kind ? { kind } : {}), ...(stream ? { stream } : {}),
      ...(answer.ok && answer.value.ssrc !== undefined && answer.value.ssrc !== ssrc && isSsrc(answer.value.ssrc) ? { deviceSsrc: answer.value.ssrc } : {}),
    };
    return { result, session };
  }

  private sendMessage(platform: PlatformRequests, bindings: readonly Binding[], xml: string, waitMs: number): Promise<PlatformResult> {
    return platform.send({
      method: 'MESSAGE', aor: this.aor, from: `sip:${this.gb.platformId}@${this.gb.realm}`, contentType: MANSCDP, body: xml, timeoutMs: waitMs,
    }, bindings);
  }

  private nextSn(): number {
    this.snCounter = (this.snCounter + 1) % 1_000_000_000;
    return this.snCounter;
  }
}

/** The same URI with another user part (a channel of the device). */
function withUser(uri: string, user: string): string {
  const m = /^(sips?:)(?:[^@]*@)?(.*)$/.exec(uri);
  return m ? `${m[1]}${user}@${m[2]}` : uri;
}
