#!/usr/bin/env node
// `npm start`: the whole service locally. The Worker and its Durable Objects in
// `wrangler dev` (workerd, state persisted under .wrangler/state; wrangler.toml's [build] builds the console
// served at /), the
// udp-bridge on UDP 5060, and demo accounts provisioned through the admin API.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = process.env.HOST ?? '127.0.0.1';
const PORT = Number(process.env.PORT ?? 8787);
const BRIDGE_LISTEN = process.env.BRIDGE_LISTEN ?? '0.0.0.0:5060';
const DEMO_USERS = [
  ['alice', 'alice-demo-pw'],
  ['bob', 'bob-demo-pw'],
];

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars');
  console.log('created .dev.vars from .dev.vars.example');
}
const vars = Object.fromEntries(
  readFileSync('.dev.vars', 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
);
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' };
const children = [];

function run(name, cmd, args, extraEnv = {}) {
  const child = spawn(cmd, args, { stdio: 'inherit', env: { ...env, ...extraEnv } });
  child.on('exit', (code, signal) => {
    console.log(`${name} exited (${signal ?? code})`);
    shutdown(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 2000).unref();
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

run('wrangler', 'wrangler', ['dev', '--ip', HOST, '--port', String(PORT), '--persist-to', '.wrangler/state', '--show-interactive-dev-session=false',
  // Locally /metrics follows within 10 s; production batches counters for hours (each flush is a billed RPC).
  '--var', 'METRICS_FLUSH_SECONDS:10']);

const base = `http://${HOST}:${PORT}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/healthz`)).ok) break;
  } catch {
    // not up yet
  }
  if (i > 240) {
    console.error('the Worker did not come up within 60 s');
    shutdown(1);
  }
  await sleep(250);
}

for (const [user, password] of DEMO_USERS) {
  const res = await fetch(`${base}/api/v1/users/${user}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${vars.ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  if (!res.ok) console.error(`provisioning ${user} failed: ${res.status} ${await res.text()}`);
}

if (existsSync('udp-bridge/src/main.ts')) {
  run('udp-bridge', 'tsx', ['udp-bridge/src/main.ts', '--listen', BRIDGE_LISTEN, '--upstream', `ws://${HOST}:${PORT}/sip`, '--token', vars.BRIDGE_TOKEN ?? '', '--metrics', `${HOST}:9090`]);
}

const toml = readFileSync('wrangler.toml', 'utf8');
const domain = (toml.match(/^SIP_DOMAIN\s*=\s*"([^"]+)"/m) ?? [])[1] ?? 'edge-sip.test';
const platformId = (toml.match(/^GB_PLATFORM_ID\s*=\s*"(\d{20})"/m) ?? [])[1];
console.log(`
edge-sip is running
  WebSocket SIP  ws://${HOST}:${PORT}/sip        (subprotocol "sip", domain ${domain})
  UDP SIP        udp://${BRIDGE_LISTEN}          (udp-bridge)
  Console        ${base}/   (log in with ADMIN_TOKEN from .dev.vars)
  Admin API      ${base}/api/v1   (Authorization: Bearer <ADMIN_TOKEN from .dev.vars>)
  Health         ${base}/healthz
  Demo accounts  ${DEMO_USERS.map(([u, p]) => `sip:${u}@${domain} / ${p}`).join('\n                 ')}${platformId ? `
  GB28181        platform ${platformId}, realm ${platformId.slice(0, 10)}, device password ${vars.GB_PASSWORD ? 'GB_PASSWORD in .dev.vars' : '(set GB_PASSWORD in .dev.vars)'}` : ''}
Press Ctrl+C to stop.
`);
