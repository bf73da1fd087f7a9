/**
 * Draws a {@link ladder} as SVG: a lifeline per column, an arrow per message with its method or status and
 * time; clicking an arrow selects the message.
 * @module
 */
import { h, svg, clock } from './dom.js';
import { ladder } from './ladder-layout.js';
import type { TraceMessage } from './trace-types.js';

const COL = 220;
const ROW = 30;
const TOP = 56;
const LEFT = 110;

/** The SVG ladder of `messages`; `onSelect` gets the clicked message. */
export function drawLadder(messages: readonly TraceMessage[], selected: number | null, onSelect: (m: TraceMessage) => void): SVGSVGElement {
  const { columns, arrows } = ladder(messages);
  const bySeq = new Map(messages.map((m) => [m.seq, m]));
  const x = (i: number) => LEFT + i * COL + COL / 2;
  const width = LEFT + Math.max(columns.length, 2) * COL;
  const height = TOP + arrows.length * ROW + 20;
  const root = svg('svg', { class: 'ladder', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'call flow' },
    svg('defs', {}, svg('marker', { id: 'arrowhead', markerWidth: 10, markerHeight: 8, refX: 9, refY: 4, orient: 'auto' }, svg('path', { d: 'M0,0 L10,4 L0,8 z', class: 'head' }))));
  columns.forEach((c, i) => {
    root.append(
      svg('text', { x: x(i), y: 18, class: 'col-label', 'text-anchor': 'middle' }, c.label),
      svg('text', { x: x(i), y: 34, class: 'col-sub', 'text-anchor': 'middle' }, c.sub),
      svg('line', { x1: x(i), y1: TOP - 12, x2: x(i), y2: height - 10, class: 'lifeline' }));
  });
  arrows.forEach((a, n) => {
    const y = TOP + n * ROW + 12;
    const m = bySeq.get(a.seq)!;
    const g = svg('g', { class: `arrow${a.response ? ' response' : ''}${a.seq === selected ? ' selected' : ''}`, 'data-seq': a.seq, tabindex: 0 },
      svg('rect', { x: 0, y: y - ROW + 8, width, height: ROW, class: 'hit' }),
      svg('text', { x: 6, y, class: 'time' }, clock(a.time)),
      svg('line', { x1: x(a.from), y1: y, x2: x(a.to) + (a.to > a.from ? -2 : 2), y2: y, 'marker-end': 'url(#arrowhead)' }),
      svg('text', { x: (x(a.from) + x(a.to)) / 2, y: y - 5, 'text-anchor': 'middle', class: 'msg' }, a.label));
    g.addEventListener('click', () => onSelect(m));
    g.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') onSelect(m);
    });
    root.append(g);
  });
  return root;
}

/** The ladder with the selected message's raw text beside it. */
export function ladderPanel(callId: string, messages: readonly TraceMessage[]): HTMLElement {
  const raw = h('pre', { class: 'raw', 'aria-label': 'message text' });
  const box = h('div', { class: 'ladder-box' });
  const select = (m: TraceMessage) => {
    raw.textContent = m.text;
    box.replaceChildren(drawLadder(messages, m.seq, select));
  };
  const first = [...messages].sort((a, b) => a.seq - b.seq)[0];
  if (first) select(first);
  return h('div', { class: 'call' }, h('h3', null, 'Call-ID ', h('code', null, callId)), h('div', { class: 'ladder-split' }, box, raw));
}
