/**
 * The gauges an AOR object sends when the size of its binding set changes, and the overview read from the
 * shards' totals.
 */
import { describe, expect, it } from 'vitest';
import { overviewOf, registrationDeltas } from '../../src/objects/metrics-gauges.js';

describe('registrationDeltas', () => {
  it('sends nothing when the number of bindings stays (a refresh, a takeover on another flow)', () => {
    expect(registrationDeltas(2, 2)).toBeNull();
    expect(registrationDeltas(0, 0)).toBeNull();
  });

  it('counts the AOR once, when its first binding comes and when its last one goes', () => {
    expect(registrationDeltas(0, 2)).toEqual({ sip_bindings: 2, sip_registered_aors: 1 });
    expect(registrationDeltas(2, 3)).toEqual({ sip_bindings: 1 });
    expect(registrationDeltas(3, 1)).toEqual({ sip_bindings: -2 });
    expect(registrationDeltas(1, 0)).toEqual({ sip_bindings: -1, sip_registered_aors: -1 });
  });
});

describe('overviewOf', () => {
  it('reads the gauges and subtracts closed connections from opened ones across transports', () => {
    expect(overviewOf({
      sip_bindings: 5, sip_registered_aors: 3,
      'sip_connections_opened_total{transport="WS"}': 10, 'sip_connections_closed_total{transport="WS"}': 7,
      'sip_connections_opened_total{transport="UDP"}': 4, 'sip_connections_closed_total{transport="UDP"}': 1,
      'sip_requests_received_total{method="REGISTER"}': 99,
    })).toEqual({ registeredAors: 3, bindings: 5, connections: 6 });
  });

  it('never answers below zero (a delta lost with an object, counters from before a deploy)', () => {
    expect(overviewOf({ sip_bindings: -1, 'sip_connections_closed_total{transport="WS"}': 2 })).toEqual({ registeredAors: 0, bindings: 0, connections: 0 });
  });
});
