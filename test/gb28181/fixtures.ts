/** Loads the GB28181 message vectors in `fixtures/` (byte-exact copies of the shared examples). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMessage } from '../../src/sip/parse.js';
import type { SipMessage } from '../../src/sip/message.js';

const root = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Raw bytes of a fixture file. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(root, name)));
}

/** A fixture parsed as a SIP message; throws when the vector does not parse. */
export function fixtureMessage(name: string): SipMessage {
  const r = parseMessage(fixtureBytes(name));
  if (!r.ok) throw new Error(`${name}: ${r.error.reason}`);
  return r.value;
}
