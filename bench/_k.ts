import { startKamailio } from './kamailio.js';
import { spawnSync } from 'node:child_process';
const k = await startKamailio();
try {
  const r = spawnSync('sipp', ['-sf', 'bench/sipp/register-digest.xml', '-inf', '/tmp/kamt/users.csv', '-t', process.env.T ?? 'u1', '-max_socket', '5', '-p', process.env.P ?? '0', '-trace_msg', '-message_file', '/tmp/kamt/msg.log', '-i', '127.0.0.1',
   '-r', '5', '-m', '10', '-nostdin', '-timeout', '10s', '-trace_stat', '-stf', '/tmp/kamt/stat.csv', '-fd', '1', `127.0.0.1:${k.udpPort}`], { encoding: 'utf8', timeout: 20000 });
  console.log(r.status, r.stdout.slice(-1500), r.stderr.slice(-800));
} finally { await k.stop(); }
