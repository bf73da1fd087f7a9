import { parseMessage } from '../src/sip/parse.js';
import { MESSAGE_MIX } from './messages.js';
const t0 = performance.now(); let s = 0;
while (performance.now() - t0 < 2000) for (const m of MESSAGE_MIX) s += parseMessage(m.text).ok ? 1 : 0;
console.log(s);
