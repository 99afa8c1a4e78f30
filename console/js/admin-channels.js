/* admin-channels.js: the admin page's channels (/api/channels): the
 * platform accounts messages come from, created and edited here.  Their
 * secrets are write-only: they are typed into password fields, sent
 * with the create or PUT /api/channels/:id/secrets (the whole set), and
 * the fields are emptied at once; the page shows only which secrets are
 * set (the API's secretsSet), never a value. */
import { api } from './api.js';
import { h, fill, badge, select, toast } from './ui.js';
import { table, form, ifMatch } from './admin-common.js';

/* What each platform takes (docs/messaging.md); * marks the required. */
const PLATFORM = {
  facebook: { secrets: ['appSecret*', 'verifyToken*', 'accessToken'], settings: ['graphVersion'] },
  zalo: { secrets: ['oaSecretKey*', 'accessToken'], settings: ['appId*'] },
  tiktok: { secrets: ['clientSecret*', 'accessToken'], settings: [] },
  discord: { secrets: ['publicKey*', 'botToken'], settings: [] },
  web: { secrets: [], settings: [] },
};
const bare = (n) => n.replace('*', '');

let root;

function secretInputs(platform) {
  return (PLATFORM[platform] || PLATFORM.web).secrets.map((n) => [
    `${bare(n)}${n.endsWith('*') ? ' (required)' : ''}`,
    h('input', { type: 'password', name: bare(n), autocomplete: 'off', testid: `secret-${bare(n)}`, required: n.endsWith('*') })]);
}

function settingInputs(platform, values = {}) {
  return (PLATFORM[platform] || PLATFORM.web).settings.map((n) => [
    `${bare(n)}${n.endsWith('*') ? ' (required)' : ''}`,
    h('input', { name: bare(n), testid: `setting-${bare(n)}`, value: values[bare(n)] || '', required: n.endsWith('*') })]);
}

/* Only the fields typed in: an empty optional secret is left out. */
function collect(pairs) {
  const out = {};
  for (const [, el] of pairs) if (el.value.trim()) out[el.name] = el.value.trim();
  return out;
}

function clear(pairs) { for (const [, el] of pairs) el.value = ''; }

function secretsForm(ch, tr) {
  const pairs = secretInputs(ch.platform);
  const f = form(pairs, 'Replace secrets', async () => {
    const body = collect(pairs);
    clear(pairs);
    try { await api.put(`/api/channels/${ch.id}/secrets`, body); } catch { return; }
    toast(`Secrets of ${ch.name} replaced.`, 'ok');
    load();
  }, { testid: 'channel-secrets-form' });
  f.prepend(h('p', { class: 'small muted', style: 'flex-basis: 100%' }, 'The whole set is replaced; leave an optional one empty to remove it.'));
  tr.after(h('tr', { class: 'channel-edit' }, h('td', { colspan: 6 }, f)));
}

function editForm(ch, tr) {
  const name = h('input', { value: ch.name, required: true, testid: 'channel-edit-name' });
  const account = h('input', { value: ch.accountId, required: true, testid: 'channel-edit-account' });
  const apiBase = h('input', { value: ch.apiBase || '', testid: 'channel-edit-apibase', placeholder: 'the platform\u2019s own' });
  const settings = settingInputs(ch.platform, ch.settings);
  const f = form([['Name', name], ['Account id', account], ['API base', apiBase], ...settings], 'Save', async () => {
    const body = { name: name.value.trim(), accountId: account.value.trim() };
    if (apiBase.value.trim() !== (ch.apiBase || '')) body.apiBase = apiBase.value.trim() || null;
    if (settings.length) body.settings = { ...ch.settings, ...collect(settings) };
    try { await api.patch(`/api/channels/${ch.id}`, body, { headers: ifMatch(ch) }); } catch { return; }
    toast(`${body.name} saved.`, 'ok');
    load();
  }, { testid: 'channel-edit-form' });
  tr.after(h('tr', { class: 'channel-edit' }, h('td', { colspan: 6 }, f)));
}

function row(ch) {
  const tr = h('tr', { testid: 'channel-row', 'data-channel-id': ch.id, 'data-platform': ch.platform });
  const closeEdits = () => root.querySelectorAll('tr.channel-edit').forEach((e) => e.remove());
  const edit = h('button', { type: 'button', testid: 'channel-edit' }, 'Edit');
  edit.addEventListener('click', () => { closeEdits(); editForm(ch, tr); });
  const secrets = h('button', { type: 'button', testid: 'channel-secrets', hidden: ch.platform === 'web' }, 'Set secrets');
  secrets.addEventListener('click', () => { closeEdits(); secretsForm(ch, tr); });
  const set = Object.entries(ch.secretsSet || {});
  tr.append(h('td', {}, ch.name), h('td', {}, ch.platform), h('td', { class: 'small' }, ch.accountId),
    h('td', { testid: 'channel-secrets-set' }, set.length ? set.map(([k, v]) => [badge(`${k} ${v ? 'set' : 'not set'}`, v ? 'connected' : 'pending'), ' ']) : h('span', { class: 'small muted' }, 'none needed')),
    h('td', { class: 'small' }, ch.webhookPath || ''), h('td', {}, h('div', { class: 'row' }, edit, secrets)));
  return tr;
}

async function load() {
  let page;
  try { page = await api.get('/api/channels', { limit: 100 }); } catch { return; }
  fill(root.querySelector('.list-slot'), table(['Name', 'Platform', 'Account', 'Secrets', 'Webhook path', ''], page.data.map(row)));
}

function createForm(slot) {
  const platform = select(Object.keys(PLATFORM).filter((p) => p !== 'web'), { testid: 'channel-platform' });
  const name = h('input', { required: true, testid: 'channel-name' });
  const account = h('input', { required: true, testid: 'channel-account' });
  const apiBase = h('input', { testid: 'channel-apibase', placeholder: 'optional' });
  const build = () => {
    const settings = settingInputs(platform.value);
    const secrets = secretInputs(platform.value);
    const f = form([['Platform', platform], ['Name', name], ['Account id', account], ['API base', apiBase], ...settings, ...secrets],
      'Create channel', async () => {
        const body = { platform: platform.value, name: name.value.trim(), accountId: account.value.trim(), secrets: collect(secrets) };
        clear(secrets);
        if (apiBase.value.trim()) body.apiBase = apiBase.value.trim();
        if (settings.length) body.settings = collect(settings);
        try { await api.post('/api/channels', body); } catch { return; }
        toast(`${body.name} created.`, 'ok');
        name.value = ''; account.value = ''; apiBase.value = '';
        clear(settings);
        load();
      }, { testid: 'channel-create' });
    fill(slot, f);
  };
  platform.addEventListener('change', build);
  build();
}

export function mountChannels(section) {
  root = section;
  const slot = h('div', {});
  section.append(h('div', { class: 'panel' }, h('h3', {}, 'New channel'),
    h('p', { class: 'small muted' }, 'Secrets are write-only: once saved they are never shown again, here or anywhere.'), slot),
  h('div', { class: 'panel list-slot' }));
  createForm(slot);
  load();
}
