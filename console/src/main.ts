/**
 * The operator console: a login, then one page per view (kept alive while hidden, so the softphone stays
 * registered and a trace keeps its list), chosen by the URL's hash (`#/users`).
 * @module
 */
import { checkToken, setToken, token, whenUnauthorized } from './api.js';
import { field, h, notice, replace } from './dom.js';
import type { View } from './view.js';
import { overviewView } from './views/overview.js';
import { usersView } from './views/users.js';
import { gbView } from './views/gb.js';
import { traceView } from './views/trace.js';
import { softphoneView } from './views/softphone.js';
import { apiView } from './views/apiref.js';

const app = document.getElementById('app')!;

const VIEWS: Array<{ id: string; title: string; make: () => View }> = [
  { id: 'overview', title: 'Overview', make: overviewView },
  { id: 'users', title: 'Users', make: usersView },
  { id: 'gb', title: 'GB devices', make: gbView },
  { id: 'trace', title: 'SIP trace', make: traceView },
  { id: 'phone', title: 'Softphone', make: softphoneView },
  { id: 'api', title: 'API', make: apiView },
];

function login(): void {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true, autofocus: true });
  const note = notice();
  const form = h('form', { class: 'login card', onsubmit: async (e: Event) => {
    e.preventDefault();
    note.clear();
    try {
      await checkToken(input.value);
      setToken(input.value);
      shell();
    } catch (err) {
      note.error(err);
    }
  } },
  h('h1', null, 'edge-sip console'),
  field('Admin token', input),
  h('button', { type: 'submit' }, 'Log in'),
  note.el);
  replace(app, form);
}

function shell(): void {
  const made = new Map<string, { view: View; section: HTMLElement }>();
  const main = h('main');
  const links = VIEWS.map((v) => h('a', { href: `#/${v.id}`, dataset: { view: v.id } }, v.title));
  const logout = h('button', { class: 'link', onclick: () => {
    for (const { view } of made.values()) view.dispose?.();
    setToken(null);
    location.hash = '';
    login();
  } }, 'Log out');
  replace(app, h('header', null, h('strong', null, 'edge-sip'), h('nav', null, ...links), logout), main);

  const route = () => {
    const id = location.hash.replace(/^#\/?/, '') || 'overview';
    const def = VIEWS.find((v) => v.id === id) ?? VIEWS[0]!;
    for (const a of links) a.classList.toggle('active', a.dataset.view === def.id);
    for (const [key, m] of made) if (key !== def.id) {
      m.section.hidden = true;
      m.view.hide?.();
    }
    let m = made.get(def.id);
    if (!m) {
      const view = def.make();
      m = { view, section: h('section', { class: 'view', id: `view-${def.id}` }, h('h2', null, def.title), view.el) };
      made.set(def.id, m);
      main.append(m.section);
    }
    m.section.hidden = false;
    m.view.show?.();
  };
  window.onhashchange = route;
  route();
}

whenUnauthorized(() => {
  setToken(null);
  window.onhashchange = null;
  login();
});

if (token()) shell();
else login();
