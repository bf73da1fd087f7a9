/**
 * Parse results kept by their input text. A device sends the same From, To, Contact and Request-URI on every
 * refresh, so their parse is done once instead of on each REGISTER. The results are shared between requests:
 * callers treat them as read-only (they copy before changing anything, as `stampReceived` and the registrar
 * do with parameters). Pure: the table is a cache of a pure function, bounded in entries and in text length.
 * @module
 */

/**
 * `parse`, remembering its results for texts up to `longest` characters; past `size` entries the table
 * starts over (no bookkeeping per hit).
 */
export function memoized<T>(parse: (text: string) => T, size = 256, longest = 256): (text: string) => T {
  let table = new Map<string, T>();
  return (text: string): T => {
    if (text.length > longest) return parse(text);
    let r = table.get(text);
    if (r === undefined) {
      r = parse(text);
      if (table.size >= size) table = new Map();
      table.set(text, r);
    }
    return r;
  };
}
