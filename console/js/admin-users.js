/* admin-users.js: the admin page's users and roles (/api/users): the
 * organization's accounts, a new one (with or without a password), and a
 * change of role or disabled, each sent with If-Match of the account as
 * just read, so a change made meanwhile by another admin is not
 * overwritten (the server answers 412 with its sentence). */
import { api, request } from './api.js';
import { h, fill, badge, when, select, toast } from './ui.js';
import { ROLES } from './model.js';
import { table, form } from './admin-common.js';

let root;
let me;

async function patchUser(u, body) {
  try {
    const { etag } = await request('GET', `/api/users/${u.id}`);
    await request('PATCH', `/api/users/${u.id}`, { body, headers: etag ? { 'If-Match': etag } : {} });
    toast(`${u.email} updated.`, 'ok');
  } catch { /* the toast said why */ }
  load();
}

function row(u) {
  const role = select(ROLES, { testid: 'user-role', 'aria-label': `Role of ${u.email}` });
  role.value = u.role;
  role.addEventListener('change', () => patchUser(u, { role: role.value }));
  const toggle = h('button', { type: 'button', testid: 'user-disable', class: u.disabled ? '' : 'danger' },
    u.disabled ? 'Enable' : 'Disable');
  toggle.addEventListener('click', () => patchUser(u, { disabled: !u.disabled }));
  if (u.id === me.id) toggle.disabled = true;
  return h('tr', { testid: 'user-row', 'data-user-id': u.id, 'data-email': u.email },
    h('td', {}, u.email), h('td', {}, u.name), h('td', {}, role),
    h('td', {}, u.disabled ? badge('disabled', 'offline') : badge('active', 'connected')),
    h('td', { class: 'small' }, when(u.createdAt)), h('td', {}, toggle));
}

async function load() {
  let page;
  try { page = await api.get('/api/users', { limit: 100 }); } catch { return; }
  fill(root.querySelector('.list-slot'), table(['Email', 'Name', 'Role', 'State', 'Created', ''], page.data.map(row)),
    page.total > page.data.length ? h('p', { class: 'small muted' }, `The first ${page.data.length} of ${page.total}.`) : null);
}

function createForm() {
  const email = h('input', { type: 'email', required: true, testid: 'user-email', autocomplete: 'off' });
  const name = h('input', { required: true, testid: 'user-name' });
  const role = select(ROLES, { testid: 'user-new-role' });
  role.value = 'agent';
  const password = h('input', { type: 'password', testid: 'user-password', autocomplete: 'new-password',
    minlength: 8, placeholder: 'optional: none means SSO only' });
  return form([['Email', email], ['Name', name], ['Role', role], ['Password', password]], 'Create user', async (f) => {
    const body = { email: email.value.trim(), name: name.value.trim(), role: role.value };
    if (password.value) body.password = password.value;
    try { await api.post('/api/users', body); } catch { return; }
    toast(`${body.email} created.`, 'ok');
    f.reset();
    role.value = 'agent';
    load();
  }, { testid: 'user-create' });
}

export function mountUsers(section, who) {
  root = section;
  me = who;
  section.append(h('div', { class: 'panel' }, h('h3', {}, 'New user'), createForm()),
    h('div', { class: 'panel list-slot' }));
  load();
}
