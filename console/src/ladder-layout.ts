/**
 * The call-flow ladder of one Call-ID, the way sngrep draws it: a column per endpoint (the service, and each
 * flow a message came in on or went out on), in order of first appearance, and an arrow per message. Pure.
 * @module
 */
import { summary, type TraceMessage } from './trace-types.js';

/** The key of the service's own column. */
export const SERVICE = 'service';

/** A column of the ladder. */
export interface Column {
  key: string;
  /** The endpoint: the AOR's user part and the peer address. */
  label: string;
  /** Transport and flow. */
  sub: string;
}

/** An arrow: a message from one column to another. */
export interface Arrow {
  seq: number;
  time: number;
  from: number;
  to: number;
  label: string;
  /** A response (drawn dashed), not a request. */
  response: boolean;
}

/** The value of the first header `name` (or its compact form) of a SIP message's text. */
export function header(text: string, name: string, compact: string): string | undefined {
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
  for (const line of head.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    const n = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && (n === name || n === compact)) return line.slice(colon + 1).trim();
  }
  return undefined;
}

/** The user part (or host) of the first SIP URI in a header value. */
function userOf(value: string | undefined): string | undefined {
  const m = value ? /sips?:([^@;>\s]+)(@[^;>\s]+)?/.exec(value) : null;
  return m ? m[1] : undefined;
}

/**
 * Who is at the other end of `m`'s flow: the sender of a request that came in (From) or the receiver of one
 * that went out (To); for responses the other way round (a response comes from the request's To).
 */
export function endpointOf(m: TraceMessage): string {
  const remoteIsCaller = (m.direction === 'in') === Boolean(m.method);
  const who = remoteIsCaller ? userOf(header(m.text, 'from', 'f')) : userOf(header(m.text, 'to', 't'));
  return who ?? m.aor.replace(/^sips?:/, '').split('@')[0] ?? m.aor;
}

/** The ladder of `messages` (any order; drawn by `seq`). */
export function ladder(messages: readonly TraceMessage[]): { columns: Column[]; arrows: Arrow[] } {
  const sorted = [...messages].sort((a, b) => a.seq - b.seq);
  const columns: Column[] = [];
  const index = new Map<string, number>();
  const col = (key: string, make: () => Column) => {
    let i = index.get(key);
    if (i === undefined) {
      i = columns.push(make()) - 1;
      index.set(key, i);
    }
    return i;
  };
  const service = () => col(SERVICE, () => ({ key: SERVICE, label: 'edge-sip', sub: 'registrar / proxy' }));
  const arrows = sorted.map((m) => {
    const key = m.flowId || m.peer;
    const peer = () => col(key, () => ({
      key,
      label: `${endpointOf(m)}${m.peer && m.peer !== 'ws' ? ` ${m.peer}` : ''}`,
      sub: `${m.transport}${m.flowId ? ` · flow ${m.flowId.slice(0, 8)}` : ''}`,
    }));
    // The first message's sender is the leftmost column.
    const [from, to] = m.direction === 'in' ? [peer(), service()] : [service(), peer()];
    return { seq: m.seq, time: m.time, from, to, label: summary(m), response: !m.method };
  });
  return { columns, arrows };
}
