/**
 * What each page of the console is.
 * @module
 */

/** A page: its element, and hooks for when it is shown and hidden (start and stop polling). */
export interface View {
  el: HTMLElement;
  show?(): void;
  hide?(): void;
  dispose?(): void;
}

/** Run `fn` now and every `ms` while started; errors go to `onError`. */
export function poller(fn: () => Promise<void>, ms: number, onError: (e: unknown) => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  const tick = async () => {
    try {
      await fn();
    } catch (e) {
      onError(e);
    }
    if (running) timer = setTimeout(tick, ms);
  };
  return {
    start() {
      if (running) return;
      running = true;
      void tick();
    },
    stop() {
      running = false;
      clearTimeout(timer);
    },
    /** Run once now (e.g. after an action), keeping the schedule. */
    async now() {
      try {
        await fn();
      } catch (e) {
        onError(e);
      }
    },
  };
}
