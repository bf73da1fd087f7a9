/**
 * What a GB device notifies, applied in its AOR object: catalog changes to its channel list, alarms to a
 * bounded newest-first list, positions as the last one. They come in a subscription's NOTIFY or, for alarms
 * and positions, as a MESSAGE (devices do both); an alarm MESSAGE is answered with `Response/Alarm`
 * (GB/T 28181 §9.4.2). Storage is written only when something changed.
 * @module
 */
import { addAlarm, alarmNotify, alarmResponse, MAX_ALARMS, type DeviceAlarm } from '../gb28181/alarm.js';
import { applyCatalogChanges, catalogNotify } from '../gb28181/catalog-notify.js';
import type { ManscdpMessage } from '../gb28181/manscdp.js';
import { mobilePositionNotify, positionChanged, type MobilePosition } from '../gb28181/position.js';
import { kindOfCmdType, type SubscriptionKind } from '../gb28181/subscription.js';
import { Timers } from '../sip/timers.js';
import { MANSCDP } from './gb-device.js';
import type { GbEventStore } from './gb-events-store.js';
import type { GbEventsHost } from './gb-events.js';

/** The status a notification is answered with. */
export interface NotifyAnswer {
  status: number;
  reason: string;
}

const OK: NotifyAnswer = { status: 200, reason: 'OK' };
const bad = (why: string): NotifyAnswer => ({ status: 400, reason: `Bad Request (${why})` });

/** Alarms, position and catalog changes of one device. */
export class GbNotifications {
  readonly #h: GbEventsHost;
  readonly #store: GbEventStore;
  /** The newest alarms, loaded on first use. */
  #alarms: readonly DeviceAlarm[] | null = null;
  /** The last position, loaded on first use (undefined: not yet). */
  #position: MobilePosition | null | undefined = undefined;

  constructor(h: GbEventsHost, store: GbEventStore) {
    this.#h = h;
    this.#store = store;
    h.gb.onNotify = (m, now) => this.message(m, now);
  }

  /** The body of a NOTIFY in a `kind` subscription: it must notify that kind's CmdType. */
  notified(kind: SubscriptionKind, m: ManscdpMessage, now: number): NotifyAnswer {
    if (kindOfCmdType(m.cmdType) !== kind) return bad(`a ${kind} subscription notifies no ${m.cmdType}`);
    if (kind === 'catalog') return this.#catalog(m, now);
    return kind === 'alarm' ? this.#alarm(m, now, 'notify') : this.#positionOf(m, now);
  }

  /** A `Notify` MESSAGE: alarms (answered with `Response/Alarm` once the 200 is on its way) and positions; else null. */
  message(m: ManscdpMessage, now: number): NotifyAnswer | null {
    const kind = kindOfCmdType(m.cmdType);
    if (kind === 'position') return this.#positionOf(m, now);
    if (kind !== 'alarm') return null;
    const answer = this.#alarm(m, now, 'message');
    if (answer.status === 200) this.#answerAlarm(m);
    return answer;
  }

  /** The newest `limit` alarms, newest first. */
  alarms(limit: number): readonly DeviceAlarm[] {
    return this.#recent().slice(0, limit);
  }

  /** The last position reported, or null. */
  position(): MobilePosition | null {
    if (this.#position === undefined) this.#position = this.#store.position();
    return this.#position;
  }

  #recent(): readonly DeviceAlarm[] {
    return (this.#alarms ??= this.#store.alarms(MAX_ALARMS));
  }

  #catalog(m: ManscdpMessage, now: number): NotifyAnswer {
    const parsed = catalogNotify(m);
    if (!parsed.ok) return bad(parsed.error);
    const { channels, changed } = applyCatalogChanges(this.#h.gb.current.channels, parsed.value.changes);
    if (changed) this.#h.gb.setChannels([...channels], now);
    return OK;
  }

  #alarm(m: ManscdpMessage, now: number, via: DeviceAlarm['via']): NotifyAnswer {
    const parsed = alarmNotify(m, now, via);
    if (!parsed.ok) return bad(parsed.error);
    const before = this.#recent();
    const next = addAlarm(before, parsed.value);
    if (next !== before) {
      this.#store.addAlarm(parsed.value, MAX_ALARMS);
      this.#alarms = next;
    }
    return OK;
  }

  #positionOf(m: ManscdpMessage, now: number): NotifyAnswer {
    const parsed = mobilePositionNotify(m, now);
    if (!parsed.ok) return bad(parsed.error);
    if (positionChanged(this.position(), parsed.value)) {
      this.#store.putPosition(parsed.value);
      this.#position = parsed.value;
    }
    return OK;
  }

  /** GB/T 28181 §9.4.2 step 3: the platform answers an alarm MESSAGE with `Response/Alarm`, Result OK. */
  #answerAlarm(m: ManscdpMessage): void {
    const { gb, platform } = this.#h;
    const sent = platform.send({
      method: 'MESSAGE', aor: `sip:${gb.current.deviceId}@${this.#h.config.realm}`, from: `sip:${this.#h.config.platformId}@${this.#h.config.realm}`,
      contentType: MANSCDP, body: alarmResponse(m.sn, m.deviceId), timeoutMs: Timers.TIMER_F,
    }, this.#h.live());
    this.#h.waitUntil(sent.catch(() => undefined));
  }
}
