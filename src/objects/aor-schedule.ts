/**
 * The AOR object's one alarm: set by the earliest of its deadlines (binding expiry, the device's registration
 * end, its next subscription refresh). An earlier alarm than needed is kept: it finds nothing due and re-arms,
 * so a refresh, which only pushes deadlines later, writes no alarm.
 * @module
 */
import type { Ledger } from './ledger.js';

/** One object's alarm, remembered in memory so that arming it again costs nothing. */
export class AlarmSchedule {
  /** When the alarm is set for (null: none). */
  #at: number | null = null;

  constructor(private readonly ctx: DurableObjectState, private readonly ledger: Ledger) {
    void ctx.blockConcurrencyWhile(async () => void (this.#at = await ctx.storage.getAlarm()));
  }

  /** Make sure the alarm fires by the earliest of `deadlines` (nulls ignored); none: the alarm is deleted. */
  arm(deadlines: ReadonlyArray<number | null>): void {
    const due = deadlines.filter((d): d is number => d !== null);
    if (due.length === 0) {
      if (this.#at !== null) void this.ctx.storage.deleteAlarm();
      this.#at = null;
      return;
    }
    const next = Math.min(...due);
    if (this.#at !== null && this.#at <= next) return;
    this.#at = next;
    this.ledger.alarmSet();
    void this.ctx.storage.setAlarm(next);
  }

  /** The alarm has fired: none is set until the next `arm`. */
  fired(): void {
    this.ledger.alarmFired();
    this.#at = null;
  }
}
