/**
 * A real SIP.js user agent in Node (SIP.js's own WebSocket transport over Node's WebSocket).
 */
import { Registerer, RegistererState, UserAgent } from 'sip.js';

/** Options of {@link createSipJsUa}. */
export interface SipJsOptions {
  ws: string;
  user: string;
  password: string;
  domain: string;
  expires?: number;
}

/** A started SIP.js UA with one Registerer. */
export interface SipJsUa {
  ua: UserAgent;
  registerer: Registerer;
  /** Register; resolves with the final status code of the last REGISTER. */
  register(): Promise<number>;
  unregister(): Promise<void>;
  stop(): Promise<void>;
}

/** Start a SIP.js UA connected to the service. */
export async function createSipJsUa(o: SipJsOptions): Promise<SipJsUa> {
  const uri = UserAgent.makeURI(`sip:${o.user}@${o.domain}`);
  if (!uri) throw new Error('bad uri');
  const ua = new UserAgent({
    uri,
    transportOptions: { server: o.ws, keepAliveInterval: 0 },
    authorizationUsername: o.user,
    authorizationPassword: o.password,
    logLevel: 'error',
    userAgentString: 'SIP.js e2e',
  });
  await ua.start();
  const registerer = new Registerer(ua, { expires: o.expires ?? 600 });
  return {
    ua,
    registerer,
    register: () =>
      new Promise<number>((resolve, reject) => {
        registerer
          .register({
            requestDelegate: {
              onAccept: (r) => resolve(r.message.statusCode ?? 0),
              onReject: (r) => resolve(r.message.statusCode ?? 0),
            },
          })
          .catch(reject);
      }),
    unregister: () =>
      new Promise<void>((resolve, reject) => {
        const listener = (s: RegistererState) => {
          if (s === RegistererState.Unregistered) {
            registerer.stateChange.removeListener(listener);
            resolve();
          }
        };
        registerer.stateChange.addListener(listener);
        registerer.unregister().catch(reject);
      }),
    stop: () => ua.stop(),
  };
}
