/**
 * Parse results kept by their input text. A device sends the same From, To, Contact and Request-URI on every
 * refresh, so their parse is done once instead of on each REGISTER. The results are shared between requests:
 * callers treat them as read-only (they copy before changing anything, as `stampReceived` and the registrar
 * do with parameters). Pure: the table is a cache of a pure function, bounded in entries and in text length.
 * @module
 */

/**
 * A copy of `s` that shares no memory with the text it was cut from. A header value is a slice of its whole
 * message, and kept in a long-lived table it would keep that message alive: the engine flattens `' ' + s`
 * into a new string, and the slice of it holds only that.
 */
export function detached(s: string): string {
  return (' ' + s).slice(1);
}

/**
 * `parse`, remembering its results for texts up to `longest` characters (parsed from a {@link detached}
 * copy, so that neither key nor result holds on to the message); past `size` entries the table starts over
 * (no bookkeeping per hit).
 */
export function memoized<T>(parse: (text: string) => T, size = 256, longest = 256): (text: string) => T {
  let table = new Map<string, T>();
  return (text: string): T => {
    if (text.length > longest) return parse(text);
    let r = table.get(text);
    if (r === undefined) {
      const own = detached(text);
      r = parse(own);
      if (table.size >= size) table = new Map();
      table.set(own, r);
    }
    return r;
  };
}
