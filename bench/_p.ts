import { createRequire } from 'node:module';
import { Parser } from 'sip.js/lib/core/messages/parser.js';
import { MESSAGE_MIX } from './messages.js';
const require = createRequire(import.meta.url);
const P = require('jssip/lib/Parser.js');
const lg = { warn() {}, error() {}, log() {}, debug() {} };
for (const m of MESSAGE_MIX) {
  for (const [n, f] of [['jssip', (t: string) => P.parseMessage(t, {})], ['sipjs', (t: string) => Parser.parseMessage(t, lg as never)]] as const) {
    for (let i = 0; i < 50; i++) f(m.text);
    const t0 = performance.now(); let k = 0;
    while (performance.now() - t0 < 200) { f(m.text); k++; }
    console.log(m.name, n, Math.round(k / ((performance.now() - t0) / 1000)));
  }
}
