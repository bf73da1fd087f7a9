import { startWorker } from './worker.js';
import { runWsRegister } from './ws-register.js';
const w = await startWorker();
console.log(w.ws, w.processes());
await w.provision(0, 3);
console.log(await runWsRegister({ url: w.ws, connections: 1, perConnection: 2, durationMs: 5000 }));
console.log(await runWsRegister({ url: w.ws, connections: 3, perConnection: 5, durationMs: 5000 }));
await w.close();
