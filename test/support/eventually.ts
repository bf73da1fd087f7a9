/**
 * Poll until a condition holds: the one `eventually()` of the suite, for Node and for workerd.
 */

/** Call `fn` every `every` ms until `ok` holds of its value or `ms` pass; returns the last value either way. */
export async function eventually<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000, every = 50): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() >= until) return v;
    await new Promise((r) => setTimeout(r, every));
  }
}
