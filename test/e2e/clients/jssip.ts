/**
 * A real JsSIP user agent in Node (JsSIP's own WebSocket transport over Node's WebSocket).
 */
import JsSIP from 'jssip';

JsSIP.debug.disable();

/** Options of {@link createJsSipUa}. */
export interface JsSipOptions {
  ws: string;
  user: string;
  password: string;
  domain: string;
  expires?: number;
}

/** Outcome of a registration attempt. */
export type RegistrationOutcome = { ok: true } | { ok: false; cause: string; status: number | undefined };

/** A started JsSIP UA and promise-returning helpers. */
export interface JsSipUa {
  ua: InstanceType<typeof JsSIP.UA>;
  register(): Promise<RegistrationOutcome>;
  /** Send a refreshing REGISTER (JsSIP emits no event for it; check the service's state). */
  refresh(): void;
  unregister(): Promise<void>;
  stop(): Promise<void>;
}

/** Start a JsSIP UA connected to the service (not yet registered). */
export async function createJsSipUa(o: JsSipOptions): Promise<JsSipUa> {
  const socket = new JsSIP.WebSocketInterface(o.ws);
  const ua = new JsSIP.UA({
    sockets: [socket],
    uri: `sip:${o.user}@${o.domain}`,
    password: o.password,
    register: false,
    register_expires: o.expires ?? 600,
    connection_recovery_min_interval: 60,
    connection_recovery_max_interval: 120,
    user_agent: 'JsSIP e2e',
  });
  const connected = new Promise<void>((resolve, reject) => {
    ua.once('connected', () => resolve());
    setTimeout(() => reject(new Error('JsSIP did not connect')), 10_000);
  });
  ua.start();
  await connected;
  return {
    ua,
    register: () =>
      new Promise<RegistrationOutcome>((resolve) => {
        const onOk = () => {
          ua.removeListener('registrationFailed', onFail);
          resolve({ ok: true });
        };
        const onFail = (e: { cause: string; response?: { status_code: number } }) => {
          ua.removeListener('registered', onOk);
          resolve({ ok: false, cause: e.cause, status: e.response?.status_code });
        };
        ua.once('registered', onOk);
        ua.once('registrationFailed', onFail);
        ua.register();
      }),
    refresh: () => ua.register(),
    unregister: () =>
      new Promise<void>((resolve) => {
        ua.once('unregistered', () => resolve());
        ua.unregister();
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (!ua.isConnected()) return resolve();
        ua.once('disconnected', () => resolve());
        ua.stop();
        setTimeout(resolve, 3000);
      }),
  };
}
