import { startKamailio } from './kamailio.js';
import { runWsRegister } from './ws-register.js';
const k = await startKamailio();
console.log(k.ws, k.processes().length);
try {
  console.log(await runWsRegister({ url: k.ws, connections: 1, perConnection: 2, durationMs: 5000, timeoutMs: 3000 }));
  console.log(await runWsRegister({ url: k.ws, connections: 3, perConnection: 5, durationMs: 5000, timeoutMs: 3000 }));
} finally { console.log(k.log().slice(-1500)); await k.stop(); }
