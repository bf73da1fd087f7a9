/**
 * Per-test user agents for e2e tests: creates accounts, starts JsSIP / SIP.js UAs, and stops
 * them all after each test.
 */
import { expect } from 'vitest';
import { createJsSipUa, type JsSipUa } from './clients/jssip.js';
import { createSipJsUa, type SipJsOptions, type SipJsUa } from './clients/sipjs.js';
import { DOMAIN, type Service } from './harness.js';

export const password = (user: string) => `${user}-secret`;
export const aor = (user: string) => `sip:${user}@${DOMAIN}`;

/** A pool of UAs to stop after each test. */
export class UaPool {
  private open: { stop(): Promise<void>; wire: { dump(): string } }[] = [];

  constructor(private readonly svc: () => Service) {}

  /** A connected JsSIP UA (not registered). */
  async jssip(user: string, opts: { password?: string; name?: string } = {}): Promise<JsSipUa> {
    const ua = await createJsSipUa({ ws: this.svc().ws, user, password: opts.password ?? password(user), domain: DOMAIN, name: opts.name });
    this.open.push(ua);
    return ua;
  }

  /** A connected and registered JsSIP UA. */
  async registeredJsSip(user: string, opts: { name?: string } = {}): Promise<JsSipUa> {
    const ua = await this.jssip(user, opts);
    expect(await ua.register(), `JsSIP ${user} registers`).toEqual({ ok: true });
    return ua;
  }

  /** A connected SIP.js UA (not registered). */
  async sipjs(user: string, opts: Partial<Pick<SipJsOptions, 'password' | 'name' | 'messageResponse'>> = {}): Promise<SipJsUa> {
    const ua = await createSipJsUa({ ws: this.svc().ws, user, domain: DOMAIN, ...opts, password: opts.password ?? password(user) });
    this.open.push(ua);
    return ua;
  }

  /** A connected and registered SIP.js UA. */
  async registeredSipJs(user: string, opts: Partial<Pick<SipJsOptions, 'name' | 'messageResponse'>> = {}): Promise<SipJsUa> {
    const ua = await this.sipjs(user, opts);
    expect(await ua.register(), `SIP.js ${user} registers`).toBe(200);
    return ua;
  }

  /** Stop every UA started since the last call (E2E_TRACE=1 prints their wire logs first). */
  async stopAll(): Promise<void> {
    const uas = this.open.splice(0);
    if (process.env.E2E_TRACE) for (const u of uas) console.log(u.wire.dump());
    await Promise.all(uas.map((u) => u.stop().catch(() => undefined)));
  }
}

/** Create the accounts (password `<user>-secret`). */
export async function createUsers(svc: Service, users: string[]): Promise<void> {
  for (const u of users) await svc.createUser(u, password(u));
}
