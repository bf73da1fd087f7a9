/**
 * Command-line entry point of the UDP↔WebSocket SIP bridge: flags and environment, `--help`, signals.
 * The only module that reads `process.argv` and `process.env`.
 * @module
 */

import { startBridge } from './bridge.js';
import { DEFAULT_CONFIG, parseConfig } from './config.js';
import { createLogger } from './log.js';

/** The `--help` text. */
export const HELP = `udp-bridge: carry UDP and TCP SIP devices (cameras, desk phones, SIPp) to the SIP Worker over WebSocket.

Usage: udp-bridge [options]

Options (each also read from the environment variable shown; flags win):
  --listen <host:port>      UDP address to receive SIP on       BRIDGE_LISTEN        [${DEFAULT_CONFIG.listen.host}:${DEFAULT_CONFIG.listen.port}]
  --advertise <host:port>   address devices reach the bridge at BRIDGE_ADVERTISE     [listen address, or first external IPv4]
  --upstream <url>          the Worker's WebSocket URL           BRIDGE_UPSTREAM      [${DEFAULT_CONFIG.upstream}]
  --token <secret>          shared bridge token (prefer the env) BRIDGE_TOKEN         [none]
  --metrics <host:port>     serve GET /metrics and /healthz      BRIDGE_METRICS       [off]
  --max-datagram <bytes>    drop larger datagrams               BRIDGE_MAX_DATAGRAM  [65536, capped at 65507]
  --idle-timeout <seconds>  close flows idle this long           BRIDGE_IDLE_TIMEOUT  [${DEFAULT_CONFIG.idleTimeoutMs / 1000}]
  --rate <n>                datagrams/s allowed per source       BRIDGE_RATE          [${DEFAULT_CONFIG.ratePerSecond}]
  --burst <n>               burst allowed per source             BRIDGE_BURST         [${DEFAULT_CONFIG.rateBurst}]
  --max-flows <n>           most concurrent device flows         BRIDGE_MAX_FLOWS     [${DEFAULT_CONFIG.maxFlows}]
  --max-flows-per-ip <n>    most concurrent flows per source IP  BRIDGE_MAX_FLOWS_PER_IP  [${DEFAULT_CONFIG.maxFlowsPerIp}]
  --new-flows-per-ip <n>    new flows/s allowed per source IP    BRIDGE_NEW_FLOWS_PER_IP  [${DEFAULT_CONFIG.newFlowsPerIpPerSecond}]
  --new-flows-burst <n>     new-flow burst per source IP         BRIDGE_NEW_FLOWS_BURST   [${DEFAULT_CONFIG.newFlowsPerIpBurst}]
  --cache-flow-bytes <n>    response cache bytes per flow        BRIDGE_CACHE_FLOW_BYTES  [${DEFAULT_CONFIG.cacheFlowBytes}]
  --cache-total-bytes <n>   response cache bytes, all flows      BRIDGE_CACHE_TOTAL_BYTES [${DEFAULT_CONFIG.cacheTotalBytes}]
  --log-level <level>       debug | info | warn | error          BRIDGE_LOG_LEVEL     [${DEFAULT_CONFIG.logLevel}]
  --tcp-listen <host:port>  TCP address for SIP over TCP, or off BRIDGE_TCP_LISTEN    [the --listen address]
  --tcp-max-message <bytes> largest SIP message on a TCP stream  BRIDGE_TCP_MAX_MESSAGE [${DEFAULT_CONFIG.tcpMaxMessageBytes}]
  --hep <udp:host:port>     copy every SIP message as HEPv3      HEP_COLLECTOR        [off]
  --hep-id <n>              HEP capture agent id                 HEP_CAPTURE_ID       [none]
  --hep-key <key>           HEP auth key (prefer the env)        HEP_AUTH_KEY         [none]
  -h, --help                show this text

IPv6 addresses go in brackets: --listen [::]:5060. Logs are JSON lines on stdout. SIGTERM/SIGINT shut down gracefully.
`;

async function main(): Promise<number> {
  const parsed = parseConfig(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    process.stderr.write(`udp-bridge: ${parsed.error}\nTry --help.\n`);
    return 2;
  }
  if (parsed.value.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const config = parsed.value.config;
  const log = createLogger(config.logLevel);
  if (config.token === null) log.warn('no BRIDGE_TOKEN: the Worker will treat devices as plain WebSocket clients');
  const bridge = await startBridge(config, { log });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      log.info('shutting down', { signal });
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await bridge.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'bridge failed to start', error: String(e) })}\n`);
    process.exitCode = 1;
  },
);
