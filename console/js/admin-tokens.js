/* admin-tokens.js: the admin page's API tokens (/api/tokens): list (by
 * name and prefix: the server keeps only a token's hash), create for
 * oneself or another user (the token is in that one answer and shown
 * once), and revoke, which stops it at once everywhere. */
import { api } from './api.js';
import { h, fill, badge, when, select, toast } from './ui.js';
import { table, form, confirmButton, onceBox } from './admin-common.js';

let root;
let users = new Map();

function state(t) {
  if (t.revokedAt) return badge('revoked', 'offline');
  if (t.expiresAt && new Date(t.expiresAt) < new Date()) return badge('expired', 'pending');
  return badge('active', 'connected');
}

function row(t) {
  const revoke = confirmButton('Revoke', { testid: 'token-revoke', hidden: !!t.revokedAt }, async () => {
    try { await api.del(`/api/tokens/${t.id}`); } catch { return; }
    toast(`${t.name} revoked.`, 'ok');
    load();
  });
  const u = users.get(t.userId);
  return h('tr', { testid: 'token-row', 'data-token-id': t.id, 'data-revoked': t.revokedAt ? '1' : null },
    h('td', {}, t.name), h('td', {}, h('code', {}, `${t.prefix}…`)), h('td', { class: 'small' }, u ? u.email : t.userId),
    h('td', {}, state(t)), h('td', { class: 'small' }, when(t.createdAt)),
    h('td', { class: 'small' }, t.expiresAt ? when(t.expiresAt) : 'never'), h('td', {}, revoke));
}

async function load() {
  let page;
  try { page = await api.get('/api/tokens', { limit: 100 }); } catch { return; }
  fill(root.querySelector('.list-slot'), table(['Name', 'Prefix', 'User', 'State', 'Created', 'Expires', ''], page.data.map(row), 'No tokens yet.'));
}

async function loadUsers(userSelect, me) {
  try {
    const page = await api.get('/api/users', { limit: 100 });
    users = new Map(page.data.map((u) => [u.id, u]));
  } catch { return; }
  fill(userSelect, [...users.values()].filter((u) => !u.disabled && u.role !== 'customer').map((u) =>
    h('option', { value: u.id, selected: u.id === me.id }, `${u.email} (${u.role})`)));
}

export function mountTokens(section, me) {
  root = section;
  const name = h('input', { required: true, testid: 'token-name', maxlength: 100 });
  const user = select([[me.id, me.email]], { testid: 'token-user' });
  const days = h('input', { type: 'number', min: 1, testid: 'token-days', placeholder: 'never' });
  const create = form([['Name', name], ['For user', user], ['Expires in days', days]], 'Create token', async (f) => {
    const body = { name: name.value.trim() };
    if (user.value !== me.id) body.userId = user.value;
    if (days.value) body.expiresInDays = Number(days.value);
    let out;
    try { out = await api.post('/api/tokens', body); } catch { return; }
    f.reset();
    user.value = me.id;
    fill(root.querySelector('.secret-slot'), onceBox('token', out.data.token, 'token-once'));
    load();
  }, { testid: 'token-create' });
  section.append(h('div', { class: 'panel' }, h('h3', {}, 'New token'), create, h('div', { class: 'secret-slot' })),
    h('div', { class: 'panel list-slot' }));
  loadUsers(user, me).then(load);
}
