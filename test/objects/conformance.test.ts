/**
 * The RFC 4475 torture messages sent as WebSocket frames to a flow: each gets
 * the answer its manifest entry expects of a proxy/registrar, or is dropped.
 * Messages addressed to example.com are re-addressed to our domain where the
 * behaviour under test happens only for local users (noted per case).
 */
import { describe, expect, it } from 'vitest';
import { connect } from './helpers.js';
// Vite's ?raw import keeps these ASCII CRLF files as they are (binary ones such as mpart01 are not used here).
import badvers from '../fixtures/conformance/rfc4475/badvers.dat?raw';
import insuf from '../fixtures/conformance/rfc4475/insuf.dat?raw';
import unkscm from '../fixtures/conformance/rfc4475/unkscm.dat?raw';
import novelsc from '../fixtures/conformance/rfc4475/novelsc.dat?raw';
import bext01 from '../fixtures/conformance/rfc4475/bext01.dat?raw';
import zeromf from '../fixtures/conformance/rfc4475/zeromf.dat?raw';
import mismatch01 from '../fixtures/conformance/rfc4475/mismatch01.dat?raw';
import multi01 from '../fixtures/conformance/rfc4475/multi01.dat?raw';
import clerr from '../fixtures/conformance/rfc4475/clerr.dat?raw';
import mcl01 from '../fixtures/conformance/rfc4475/mcl01.dat?raw';
import badinv01 from '../fixtures/conformance/rfc4475/badinv01.dat?raw';
import scalar02 from '../fixtures/conformance/rfc4475/scalar02.dat?raw';
import unksm2 from '../fixtures/conformance/rfc4475/unksm2.dat?raw';
import regaut01 from '../fixtures/conformance/rfc4475/regaut01.dat?raw';
import bigcode from '../fixtures/conformance/rfc4475/bigcode.dat?raw';
import scalarlg from '../fixtures/conformance/rfc4475/scalarlg.dat?raw';

const cases: Array<[string, string, number]> = [
  ['badvers (SIP/7.0)', badvers, 505],
  ['insuf (no Call-ID, From, To)', insuf, 400],
  ['unkscm (unknown Request-URI scheme)', unkscm, 416],
  ['novelsc (soap.beep Request-URI)', novelsc, 416],
  ['bext01 (Proxy-Require nobody supports)', bext01, 420],
  ['zeromf (Max-Forwards: 0 to a user)', zeromf, 483],
  ['mismatch01 (CSeq method differs)', mismatch01, 400],
  ['multi01 (repeated single headers)', multi01, 400],
  ['clerr (Content-Length beyond the body)', clerr, 400],
  ['mcl01 (two Content-Lengths)', mcl01, 400],
  ['badinv01 (empty Via/Contact entries)', badinv01, 400],
  ['scalar02 (CSeq over 2^32-1)', scalar02, 400],
  ['unksm2 (REGISTER for an isbn: AOR)', unksm2, 400],
  // Re-addressed: the registrar challenges an unknown Authorization scheme only for its own domain.
  ['regaut01 (unknown Authorization scheme)', regaut01.replaceAll('example.com', 'edge-sip.test'), 401],
];

describe('RFC 4475 messages over a WebSocket flow', () => {
  for (const [name, text, status] of cases) {
    it(`answers ${name} with ${status}`, async () => {
      const c = await connect();
      const res = await c.request(text);
      expect(res.status).toBe(status);
      if (status === 420) expect(res.headers.get('unsupported')).toContain('noProxiesSupportThis');
      c.close();
    });
  }

  it('drops the invalid responses bigcode and scalarlg silently, and keeps the connection', async () => {
    const c = await connect();
    c.send(bigcode);
    c.send(scalarlg);
    expect(await c.silent()).toBe(true);
    c.send('\r\n\r\n');
    expect(await c.next()).toBe('\r\n');
    c.close();
  });
});
