/* admin-webhooks.js: the admin page's outbound webhook subscriptions
 * (/api/webhooks, docs/webhooks.md): list, create (the signing secret is
 * in that one answer and shown once), disable and enable, rotate the
 * secret (the new one shown once), a test ping, and a subscription's
 * deliveries with Replay.  Deliveries change as the server's workers
 * send them and no event says so: the list is read again after each
 * action and on Refresh. */
import { api } from './api.js';
import { h, fill, badge, when, toast } from './ui.js';
import { splitList } from './model.js';
import { table, form, confirmButton, onceBox } from './admin-common.js';

let root;
let openDeliveries = null;   /* the subscription whose deliveries are shown */

function showSecret(secret) {
  fill(root.querySelector('.secret-slot'), onceBox('signing secret', secret, 'webhook-secret'));
}

async function act(promise, done) {
  let out;
  try { out = await promise; } catch { return null; }
  if (done) toast(done, 'ok');
  await load();
  return out;
}

function row(s) {
  const toggle = h('button', { type: 'button', testid: 'webhook-toggle' }, s.enabled ? 'Disable' : 'Enable');
  toggle.addEventListener('click', () => act(api.patch(`/api/webhooks/${s.id}`, { enabled: !s.enabled }),
    s.enabled ? 'Subscription disabled.' : 'Subscription enabled.'));
  const rotate = confirmButton('Rotate secret', { testid: 'webhook-rotate', class: '' }, async () => {
    const out = await act(api.post(`/api/webhooks/${s.id}/rotate`), 'Secret rotated; the old one signs too for a while.');
    if (out) showSecret(out.data.secret);
  });
  const ping = h('button', { type: 'button', testid: 'webhook-test' }, 'Test ping');
  ping.addEventListener('click', async () => {
    try { await api.post(`/api/webhooks/${s.id}/test`); } catch { return; }
    toast('Test ping queued.', 'ok');
    showDeliveries(s);
  });
  const list = h('button', { type: 'button', testid: 'webhook-deliveries' }, 'Deliveries');
  list.addEventListener('click', () => showDeliveries(s));
  return h('tr', { testid: 'webhook-row', 'data-webhook-id': s.id },
    h('td', { style: 'word-break: break-all' }, s.url), h('td', { class: 'small' }, s.events.join(', ')),
    h('td', {}, s.enabled ? badge('enabled', 'connected') : badge('disabled', 'offline'),
      s.disabledReason ? h('div', { class: 'small muted' }, s.disabledReason) : null),
    h('td', { class: 'small' }, s.lastDeliveredAt ? `delivered ${when(s.lastDeliveredAt)}` : 'nothing delivered yet',
      s.lastError ? h('div', { class: 'muted' }, `last failure: ${s.lastError}`) : null),
    h('td', {}, h('div', { class: 'row' }, toggle, ping, rotate, list)));
}

async function load() {
  let page;
  try { page = await api.get('/api/webhooks', { limit: 100 }); } catch { return; }
  fill(root.querySelector('.list-slot'), table(['URL', 'Events', 'State', 'Last delivery', ''], page.data.map(row), 'No subscriptions yet.'));
  if (openDeliveries) loadDeliveries();
}

/* ---- deliveries ---- */
function deliveryRow(d) {
  const replay = h('button', { type: 'button', testid: 'replay-button', disabled: d.state === 'pending',
    'aria-label': `Replay delivery ${d.webhookId}` }, 'Replay');
  replay.addEventListener('click', async () => {
    try { await api.post(`/api/webhooks/deliveries/${d.id}/replay`); } catch { return; }
    toast('Delivery sent again.', 'ok');
    loadDeliveries();
  });
  return h('tr', { testid: 'delivery-row', 'data-delivery-id': d.id, 'data-state': d.state, 'data-attempts': d.attempts },
    h('td', {}, d.eventType), h('td', {}, badge(d.state, d.state === 'delivered' ? 'complete' : d.state)),
    h('td', {}, String(d.attempts)), h('td', {}, d.lastStatus === null ? '' : String(d.lastStatus)),
    h('td', { class: 'small' }, when(d.createdAt)), h('td', { class: 'small' }, when(d.lastAttemptAt)),
    h('td', { class: 'small muted' }, d.lastError || ''), h('td', {}, replay));
}

async function loadDeliveries() {
  const s = openDeliveries;
  let page;
  try { page = await api.get(`/api/webhooks/${s.id}/deliveries`, { limit: 50 }); } catch { return; }
  if (openDeliveries !== s) return;
  const refresh = h('button', { type: 'button', testid: 'deliveries-refresh' }, 'Refresh');
  refresh.addEventListener('click', loadDeliveries);
  const close = h('button', { type: 'button' }, 'Close');
  close.addEventListener('click', () => { openDeliveries = null; fill(root.querySelector('.deliveries-slot')); });
  fill(root.querySelector('.deliveries-slot'), h('div', { class: 'panel', testid: 'deliveries' },
    h('div', { class: 'row', style: 'justify-content: space-between; align-items: center' },
      h('h3', { style: 'margin: 0' }, `Deliveries to ${s.url}`), h('div', { class: 'row' }, refresh, close)),
    h('p', { class: 'small muted' }, `${page.total} deliveries, newest first.`),
    table(['Event', 'State', 'Attempts', 'Last status', 'Created', 'Last attempt', 'Error', ''], page.data.map(deliveryRow), 'No deliveries yet.')));
}

function showDeliveries(s) {
  openDeliveries = s;
  loadDeliveries();
}

export function mountWebhooks(section) {
  root = section;
  const url = h('input', { type: 'url', required: true, testid: 'webhook-url', placeholder: 'https://example.com/hooks' });
  const events = h('input', { required: true, testid: 'webhook-events', value: '*', placeholder: 'ticket_created, ticket_updated or *' });
  const create = form([['URL', url], ['Events (comma separated; * for all)', events]], 'Subscribe', async (f) => {
    let out;
    try { out = await api.post('/api/webhooks', { url: url.value.trim(), events: splitList(events.value) }); } catch { return; }
    toast('Subscription created.', 'ok');
    f.reset();
    if (out.data.secret) showSecret(out.data.secret);
    load();
  }, { testid: 'webhook-create' });
  section.append(h('div', { class: 'panel' }, h('h3', {}, 'New subscription'),
    h('p', { class: 'small muted' }, 'Each delivery is signed (Standard Webhooks). The signing secret is shown once, when it is made or rotated.'),
    create, h('div', { class: 'secret-slot' })),
  h('div', { class: 'panel list-slot' }), h('div', { class: 'deliveries-slot' }));
  load();
}
