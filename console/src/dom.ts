/**
 * A tiny DOM builder: `h('button', { class: 'x', onclick }, 'text')`. Children are nodes or strings (text, never
 * HTML: nothing from the API is parsed as markup).
 * @module
 */

/** What `h` accepts as a child. */
export type Child = Node | string | number | null | undefined | false;

/** Properties: `class`, `on<event>` handlers, `dataset`, and anything else as an attribute. */
export type Props = Record<string, unknown>;

/** Create an element with properties and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else if (k === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

/** Append children (strings become text nodes). */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replace an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** An SVG element. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  append(el, ...children);
  return el;
}

/** A table with a header row; `rows` are arrays of cells (a cell may be a node). */
export function table(headers: string[], rows: Child[][], props: Props = {}): HTMLTableElement {
  return h('table', props,
    h('thead', null, h('tr', null, ...headers.map((t) => h('th', null, t)))),
    h('tbody', null, ...rows.map((r) => h('tr', null, ...r.map((c) => h('td', null, c))))),
  );
}

/** A local date and time, or a dash. */
export function when(ms: number | null | undefined): string {
  return ms ? new Date(ms).toLocaleString() : '—';
}

/** `hh:mm:ss.mmm` of an epoch-ms time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A labelled form field. */
export function field(label: string, input: HTMLElement): HTMLLabelElement {
  return h('label', { class: 'field' }, h('span', null, label), input);
}

/** A status line that shows errors (class `error`) or notes. */
export function notice(): { el: HTMLElement; error(e: unknown): void; ok(text: string): void; clear(): void } {
  const el = h('p', { class: 'notice', role: 'status' });
  return {
    el,
    error(e) {
      el.className = 'notice error';
      el.textContent = e instanceof Error ? e.message : String(e);
    },
    ok(text) {
      el.className = 'notice ok';
      el.textContent = text;
    },
    clear() {
      el.className = 'notice';
      el.textContent = '';
    },
  };
}
