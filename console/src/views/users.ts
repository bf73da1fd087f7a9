/**
 * Users: the account list (`GET /users`), create and set a password (`PUT /users/{user}`), delete, and the
 * selected user's location table (`GET /users/{user}/bindings`, as Kamailio's siremis and FusionPBX show
 * registrations) with a live expiry countdown; a binding can be unregistered
 * (`DELETE /users/{user}/bindings?contact=`).
 * @module
 */
import { api } from '../api.js';
import { field, h, notice, replace, table } from '../dom.js';
import { poller, type View } from '../view.js';
import { confirmButton } from './confirm.js';

interface UserRow {
  user: string;
  aor: string;
}

/** A binding as the API lists it (CONTRACT.md: BindingView). */
export interface Binding {
  contact: string;
  expires: number;
  expiresAt?: number;
  q: number | null;
  instanceId: string | null;
  regId: number | null;
  source: string;
  transport?: string;
  userAgent: string | null;
  flowId: string;
  callId: string;
  cseq: number;
}

/** Seconds left until `expiresAt`, never below 0. */
const left = (expiresAt: number) => Math.max(0, Math.round((expiresAt - Date.now()) / 1000));

/** The Users page. */
export function usersView(): View {
  const note = notice();
  const list = h('div');
  const detail = h('div', { class: 'detail' });
  let selected: string | null = null;
  const countdowns: Array<{ el: HTMLElement; at: number }> = [];

  const nameIn = h('input', { name: 'user', placeholder: 'alice', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._~+\\-]{0,63}' });
  const pwIn = h('input', { name: 'password', type: 'password', placeholder: 'password', required: true, minlength: 4 });
  const create = h('form', { class: 'inline', onsubmit: async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api<{ aor: string }>(`/users/${encodeURIComponent(nameIn.value)}`, { method: 'PUT', json: { password: pwIn.value } });
      note.ok(`saved ${r.aor}`);
      selected = nameIn.value;
      create.reset();
      await poll.now();
    } catch (err) {
      note.error(err);
    }
  } }, field('User', nameIn), field('Password', pwIn), h('button', { type: 'submit' }, 'Create or set password'));

  const bindingsBox = h('div');
  let shown: string | null = null;

  /** The selected user's controls, built when the selection changes (a refresh must not reset what is typed). */
  const renderUser = (user: string, aor: string) => {
    shown = user;
    const pw = h('input', { type: 'password', name: 'new-password', placeholder: 'new password', minlength: 4, required: true });
    replace(detail,
      h('h3', null, `Bindings of ${aor}`),
      bindingsBox,
      h('form', { class: 'inline', onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          await api(`/users/${encodeURIComponent(user)}`, { method: 'PUT', json: { password: pw.value } });
          note.ok(`password of ${user} set`);
          pw.value = '';
        } catch (err) {
          note.error(err);
        }
      } }, field('Set password', pw), h('button', { type: 'submit' }, 'Set')),
      confirmButton(`Delete ${user}`, async () => {
        try {
          await api(`/users/${encodeURIComponent(user)}`, { method: 'DELETE' });
          note.ok(`deleted ${user}`);
          selected = null;
          await poll.now();
        } catch (err) {
          note.error(err);
        }
      }));
  };

  const renderBindings = (user: string, bindings: Binding[]) => {
    countdowns.length = 0;
    const fetched = Date.now();
    const rows = bindings.map((b) => {
      const at = b.expiresAt ?? fetched + b.expires * 1000;
      const cd = h('span', { class: 'countdown' }, `${left(at)} s`);
      countdowns.push({ el: cd, at });
      const unregister = h('button', { class: 'small', onclick: async () => {
        try {
          await api(`/users/${encodeURIComponent(user)}/bindings?contact=${encodeURIComponent(b.contact)}`, { method: 'DELETE' });
          note.ok(`unregistered ${b.contact}`);
          await poll.now();
        } catch (err) {
          note.error(err);
        }
      } }, 'Unregister');
      return [h('code', null, b.contact), b.userAgent ?? '—', b.source, b.transport ?? '—', cd, h('code', { title: b.flowId }, b.flowId.slice(0, 12)),
        b.instanceId ? h('code', null, `${b.instanceId} / reg-id ${b.regId ?? '—'}`) : '—', unregister];
    });
    replace(bindingsBox, bindings.length
      ? table(['contact', 'user agent', 'source', 'transport', 'expires in', 'flow', 'instance', ''], rows, { class: 'bindings' })
      : h('p', { class: 'muted' }, 'not registered'));
  };

  const refresh = async () => {
    const { users } = await api<{ users: UserRow[] }>('/users');
    replace(list, users.length ? table(['user', 'AOR'], users.map((u) => [
      h('a', { href: '#/users', class: u.user === selected ? 'selected' : '', dataset: { user: u.user }, onclick: (e: Event) => {
        e.preventDefault();
        selected = u.user;
        void poll.now();
      } }, u.user),
      u.aor,
    ]), { class: 'users' }) : h('p', { class: 'muted' }, 'no users yet'));
    const sel = users.find((u) => u.user === selected);
    if (!sel) {
      shown = null;
      replace(detail, h('p', { class: 'muted' }, 'Choose a user to see its bindings.'));
      return;
    }
    const { bindings } = await api<{ aor: string; bindings: Binding[] }>(`/users/${encodeURIComponent(sel.user)}/bindings`);
    if (shown !== sel.user) renderUser(sel.user, sel.aor);
    renderBindings(sel.user, bindings);
  };
  const poll = poller(refresh, 5000, (e) => note.error(e));
  const tick = setInterval(() => {
    for (const c of countdowns) c.el.textContent = `${left(c.at)} s`;
  }, 1000);

  return {
    el: h('div', null, create, note.el, h('div', { class: 'split' }, list, detail)),
    show: () => poll.start(),
    hide: () => poll.stop(),
    dispose: () => {
      poll.stop();
      clearInterval(tick);
    },
  };
}
