/**
 * Trace marks as flows hold them: expiry by time alone, one mark per trace, bounded lists, and the marks a
 * message is copied for.
 */
import { describe, expect, it } from 'vitest';
import { callMarks, marksFor, pruneState, withMark, withoutTrace, type TraceMark } from '../../src/trace/marks.js';

const m = (trace: string, until: number, aor = 'sip:b@edge-sip.test'): TraceMark => ({ trace, aor, until });

describe('trace marks', () => {
  it('replace the same trace’s mark, drop expired ones, and keep the newest up to the bound', () => {
    expect(withMark([m('t1', 100), m('t2', 50)], m('t1', 200), 60, 8)).toEqual([m('t1', 200)]);
    expect(withMark([m('a', 100), m('b', 100)], m('c', 100), 0, 2)).toEqual([m('b', 100), m('c', 100)]);
    expect(withoutTrace([m('a', 1), m('b', 1)], 'a')).toEqual([m('b', 1)]);
  });

  it('leave a flow with no live mark back at null, its untraced path', () => {
    expect(pruneState({ marks: [m('a', 10)], calls: [] }, 10)).toBeNull();
    expect(pruneState(null, 0, (s) => ({ ...s, marks: [m('a', 10)] }))).toEqual({ marks: [m('a', 10)], calls: [] });
  });

  it('copy a message once per trace: for the whole flow, or for its Call-ID only', () => {
    const state = { marks: [m('a', 100)], calls: [...callMarks([m('a', 100), m('b', 100, 'sip:c@edge-sip.test')], 'call-1')] };
    expect(marksFor(state, 'call-1', 0)).toEqual([m('a', 100), m('b', 100, 'sip:c@edge-sip.test')]);
    expect(marksFor(state, 'call-2', 0)).toEqual([m('a', 100)]);
    expect(marksFor(state, 'call-1', 100)).toEqual([]);
    expect(marksFor({ marks: [], calls: state.calls }, null, 0)).toEqual([]);
  });
});
