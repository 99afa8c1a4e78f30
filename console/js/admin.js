/* admin.js: the admin page (admin.html), for an organization's admins
 * only (anyone else is sent to their own start page).  Its sections,
 * one module each, are reached by the tabs (admin.html#users, #customers,
 * #channels, #webhooks, #tokens, #ai, #figures): users and roles,
 * customers (live: customer_* events), channels with write-only secrets,
 * webhook subscriptions and their deliveries, API tokens, AI usage and
 * budget, and the job and stream figures. */
import { h, fill, $, shell } from './ui.js';
import { follow } from './stream.js';
import { mountUsers } from './admin-users.js';
import { mountCustomers, customerEvent } from './admin-customers.js';
import { mountChannels } from './admin-channels.js';
import { mountWebhooks } from './admin-webhooks.js';
import { mountTokens } from './admin-tokens.js';
import { mountAi, mountFigures } from './admin-ai.js';

const me = await shell(['admin']);

const SECTIONS = [
  ['users', 'Users and roles', (s) => mountUsers(s, me)],
  ['customers', 'Customers', mountCustomers],
  ['channels', 'Channels', mountChannels],
  ['webhooks', 'Webhooks', mountWebhooks],
  ['tokens', 'API tokens', (s) => mountTokens(s, me)],
  ['ai', 'AI usage', mountAi],
  ['figures', 'Jobs and streams', mountFigures],
];

function showTab() {
  const want = location.hash.slice(1);
  const current = SECTIONS.some(([id]) => id === want) ? want : SECTIONS[0][0];
  for (const [id] of SECTIONS) {
    $(`#${id}`).hidden = id !== current;
    $(`[data-testid=admin-tab-${id}]`).setAttribute('aria-current', String(id === current));
  }
}

function tabs() {
  fill($('#tabs'), SECTIONS.map(([id, label]) => h('a', { href: `#${id}`, testid: `admin-tab-${id}` }, label)));
  window.addEventListener('hashchange', showTab);
  showTab();
}

function live() {
  follow('/api/events/stream', {
    query: { types: 'customer_created,customer_updated,customer_deleted' },
    onEvent: customerEvent,
    /* what changed between the first read and the stream's start */
    onFirstConnect: () => customerEvent('reset', {}),
    onReset: () => customerEvent('reset', {}),
  });
}

tabs();
for (const [id, , mount] of SECTIONS) mount($(`#${id}`));
live();
