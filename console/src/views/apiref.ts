/**
 * API reference: the service's own OpenAPI 3.1 document (`GET /api/v1/openapi.json`), rendered here: every
 * path and method with its parameters, request body and answers, and their schemas (`$ref`s resolved).
 * @module
 */
import { h, notice, replace, table, type Child } from '../dom.js';
import type { View } from '../view.js';

type Schema = Record<string, unknown>;
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: Schema }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
  security?: unknown[];
}
interface Doc {
  openapi: string;
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'];

/** Resolve a local `$ref` (`#/components/schemas/X`). */
function resolve(doc: Doc, s: Schema): { schema: Schema; name?: string } {
  const ref = s.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return { schema: s };
  let at: unknown = doc;
  for (const part of ref.slice(2).split('/')) at = (at as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return { schema: (at as Schema | undefined) ?? {}, name: ref.split('/').pop() };
}

/** A one-line type: `string`, `integer 0–255`, `"a" | "b"`, `array of X`, `object`. */
function typeOf(doc: Doc, s0: Schema, depth = 0): string {
  const { schema: s, name } = resolve(doc, s0);
  if (name && depth > 0) return name;
  const alts = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alts) return alts.map((a) => typeOf(doc, a, depth + 1)).join(' | ');
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const t = Array.isArray(s.type) ? s.type.join(' | ') : String(s.type ?? (s.properties ? 'object' : 'any'));
  if (t === 'array' && s.items) return `array of ${typeOf(doc, s.items as Schema, depth + 1)}`;
  const bits: string[] = [];
  if (s.format) bits.push(String(s.format));
  if (s.minimum !== undefined || s.maximum !== undefined) bits.push(`${s.minimum ?? ''}–${s.maximum ?? ''}`);
  if (s.minLength !== undefined || s.maxLength !== undefined) bits.push(`length ${s.minLength ?? 0}–${s.maxLength ?? '∞'}`);
  if (s.pattern) bits.push(`/${String(s.pattern)}/`);
  if (s.default !== undefined) bits.push(`default ${JSON.stringify(s.default)}`);
  return bits.length ? `${t} (${bits.join(', ')})` : t;
}

/** A schema: its type, and for objects a table of properties (nested objects one level deeper, up to 4). */
function schemaNode(doc: Doc, s0: Schema, depth = 0): HTMLElement {
  const { schema: s, name } = resolve(doc, s0);
  const items = s.type === 'array' && s.items ? resolve(doc, s.items as Schema).schema : null;
  const obj = s.properties ? s : items?.properties ? items : null;
  const head = h('code', { class: 'type' }, name ? `${name}: ${typeOf(doc, s)}` : typeOf(doc, s));
  if (!obj || depth > 3) return h('div', { class: 'schema' }, head, s.description ? h('p', { class: 'muted' }, String(s.description)) : null);
  const required = new Set((obj.required as string[] | undefined) ?? []);
  const props = Object.entries(obj.properties as Record<string, Schema>);
  return h('div', { class: 'schema' }, head,
    table(['field', 'type', ''], props.map(([k, p]) => {
      const r = resolve(doc, p).schema;
      const nested = r.properties || (r.type === 'array' && r.items && resolve(doc, r.items as Schema).schema.properties);
      return [h('code', null, k + (required.has(k) ? '' : '?')), nested ? schemaNode(doc, p, depth + 1) : h('code', null, typeOf(doc, p, 1)), String(r.description ?? p.description ?? '')];
    }), { class: 'props' }));
}

function bodies(doc: Doc, content: Record<string, { schema?: Schema }> | undefined): Child[] {
  return Object.entries(content ?? {}).map(([type, c]) => h('div', null, h('span', { class: 'muted' }, type), c.schema ? schemaNode(doc, c.schema) : null));
}

function operation(doc: Doc, method: string, path: string, op: Operation): HTMLElement {
  const params = op.parameters ?? [];
  return h('details', { class: 'op', dataset: { method, path } },
    h('summary', null, h('span', { class: `method ${method}` }, method.toUpperCase()), ' ', h('code', null, path), ' ', h('span', { class: 'muted' }, op.summary ?? '')),
    op.description ? h('p', null, op.description) : null,
    op.security && op.security.length === 0 ? h('p', { class: 'muted' }, 'no token needed') : null,
    params.length ? h('div', null, h('h5', null, 'Parameters'), table(['name', 'in', 'type', ''], params.map((p) => [
      h('code', null, p.name + (p.required ? '' : '?')), p.in, h('code', null, p.schema ? typeOf(doc, p.schema) : 'any'), p.description ?? '',
    ]))) : null,
    op.requestBody ? h('div', null, h('h5', null, `Request body${op.requestBody.required ? '' : ' (optional)'}`), ...bodies(doc, op.requestBody.content)) : null,
    h('h5', null, 'Answers'),
    ...Object.entries(op.responses ?? {}).map(([code, r]) => h('div', { class: 'response' }, h('strong', null, code), ' ', r.description ?? '', ...bodies(doc, r.content))));
}

/** Render an OpenAPI document. */
export function renderOpenApi(doc: Doc): HTMLElement {
  const ops: Array<[string, string, Operation]> = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) for (const m of METHODS) if (item[m]) ops.push([m, path, item[m]]);
  const groups = new Map<string, Array<[string, string, Operation]>>();
  for (const o of ops) {
    const tag = o[2].tags?.[0] ?? 'other';
    groups.set(tag, [...(groups.get(tag) ?? []), o]);
  }
  return h('div', { class: 'openapi' },
    h('p', null, `${doc.info?.title ?? 'API'} ${doc.info?.version ?? ''} · OpenAPI ${doc.openapi} · ${ops.length} operations · `, h('a', { href: '/api/v1/openapi.json', target: '_blank' }, 'openapi.json')),
    doc.info?.description ? h('p', { class: 'muted' }, doc.info.description) : null,
    ...[...groups].map(([tag, list]) => h('section', null, h('h3', null, tag), ...list.map(([m, p, o]) => operation(doc, m, p, o)))));
}

/** The API reference page. */
export function apiView(): View {
  const note = notice();
  const body = h('div');
  let loaded = false;
  return {
    el: h('div', null, note.el, body),
    show: async () => {
      if (loaded) return;
      try {
        const res = await fetch('/api/v1/openapi.json');
        if (!res.ok) throw new Error(`${res.status}: the OpenAPI document is not available`);
        replace(body, renderOpenApi((await res.json()) as Doc));
        loaded = true;
      } catch (e) {
        note.error(e);
      }
    },
  };
}
