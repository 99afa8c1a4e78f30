/* inbox.js: the staff inbox (inbox.html): conversations with customers on
 * every channel, and the thread of the one chosen.
 *
 * The list offers GET /api/conversations' filters (status, platform, mode,
 * assignee, a search over the customer's name, email or phone), kept in
 * the page's query string with the open conversation (?id=), so a reload
 * or a shared link shows the same.  Each row has the customer, the
 * platform, the status, the unread count and the time of the last
 * message.  The thread shows each outbound reply's delivery (pending,
 * sent, or failed with the platform's reason and a Retry button).  Agents
 * and admins reply, change the status, and open a ticket from the
 * conversation; viewers read.
 *
 * Live: /api/events/stream with new_conversation, new_message,
 * message_sent and conversation_updated.  A conversation event reloads
 * the list page (so its order, filters and counts are the server's); a
 * message event of the open conversation goes into its thread at once. */
import { api } from './api.js';
import { h, fill, $, $$, shell, badge, when, field, select, pageParams, ticketHref, pageSummary, pager } from './ui.js';
import { follow } from './stream.js';
import { PLATFORMS, CONVERSATION_STATUSES, canWrite } from './model.js';
import { MessageStore, fetchThread, threadView, keepAtBottom } from './conversation.js';

const me = await shell(['admin', 'agent', 'viewer']);
const writer = canWrite(me);
const LIST_LIMIT = 25;
const FILTERS = ['status', 'platform', 'mode', 'assigneeId', 'q'];
const EVENT_TYPES = ['new_conversation', 'new_message', 'message_sent', 'conversation_updated'];

let state = pageParams();
state.offset = Number(state.offset || 0);
let openConv = null;          /* the open conversation's document */
let openTicket = null;        /* the newest ticket opened from it */
const customers = new Map();  /* customer id -> promise of the customer */
const store = new MessageStore(drawThread);

/* ---- customers' names (the conversation document names only the id) ---- */
function customer(id) {
  if (!customers.has(id)) {
    customers.set(id, api.get(`/api/customers/${encodeURIComponent(id)}`, null, { quiet: true })
      .then((r) => r.data).catch(() => null));
  }
  return customers.get(id);
}

const customerName = (c, id) => (c && (c.name || c.email || c.phone)) || `Customer ${String(id).slice(0, 8)}`;

/* ---- the page's query string ---- */
function saveUrl() {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (state[k]) q.set(k, state[k]);
  if (state.offset) q.set('offset', String(state.offset));
  if (openConv) q.set('id', openConv.id);
  const s = q.toString();
  history.replaceState(null, '', s ? `?${s}` : location.pathname);
}

/* ---- filters ---- */
function filterForm() {
  const f = $('#filters');
  const ctl = {
    status: select([['', 'any'], ['open,pending', 'open or pending'], ...CONVERSATION_STATUSES], { name: 'status' }),
    platform: select([['', 'any'], 'web', ...PLATFORMS], { name: 'platform' }),
    mode: select([['', 'any'], ['human', 'human'], ['ai', 'AI']], { name: 'mode' }),
    assigneeId: select([['', 'anyone'], ['none', 'unassigned'], [me.id, 'me']], { name: 'assigneeId' }),
    q: h('input', { name: 'q', type: 'search', placeholder: 'name, email or phone' }),
  };
  for (const [k, el] of Object.entries(ctl)) if (state[k]) el.value = state[k];
  fill(f, field('Status', ctl.status), field('Platform', ctl.platform), field('Answered by', ctl.mode),
    field('Assignee', ctl.assigneeId), field('Customer', ctl.q),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('button', { type: 'reset' }, 'Clear'));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    for (const [k, el] of Object.entries(ctl)) state[k] = el.value.trim();
    state.offset = 0;
    loadList();
  });
  f.addEventListener('reset', () => {
    for (const k of FILTERS) state[k] = '';
    state.offset = 0;
    setTimeout(loadList);
  });
}

/* ---- the list ---- */
function rowView(v, c) {
  const current = openConv && openConv.id === v.id;
  return h('li', {},
    h('button', {
      type: 'button', class: 'conv-row', testid: 'conversation-row', 'data-conversation-id': v.id,
      'aria-current': current ? 'true' : null, onclick: () => openConversation(v.id),
    },
    h('span', { class: 'conv-name' }, customerName(c, v.customerId)),
    h('span', { class: 'conv-meta' },
      badge(v.platform, 'info'), badge(v.status),
      v.mode === 'ai' ? badge('AI', 'running') : null,
      v.unreadCount > 0
        ? [h('span', { class: 'badge failed', testid: 'unread-count' }, String(v.unreadCount)),
          h('span', { class: 'sr-only' }, ' unread')]
        : null),
    h('span', { class: 'small muted' }, when(v.lastMessageAt))));
}

let listSeq = 0;
async function loadList() {
  saveUrl();
  const seq = ++listSeq;
  const q = { limit: LIST_LIMIT, offset: state.offset || undefined };
  for (const k of FILTERS) if (state[k]) q[k] = state[k];
  let page;
  try {
    page = await api.get('/api/conversations', q);
  } catch {
    return;
  }
  const names = await Promise.all(page.data.map((v) => customer(v.customerId)));
  if (seq !== listSeq) return;
  const focused = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.conversationId : null;
  fill($('#list'), page.data.length ? page.data.map((v, i) => rowView(v, names[i]))
    : h('li', { class: 'empty' }, 'No conversations match.'));
  if (focused) {
    const again = $(`[data-testid=conversation-row][data-conversation-id="${focused}"]`);
    if (again) again.focus();
  }
  fill($('#summary'), pageSummary('Conversations', page));
  fill($('#pager'), pager(page, (offset) => { state.offset = offset; loadList(); }));
}

/* Several events in a burst (a delivery makes three) cost one reload. */
let listTimer = null;
function reloadListSoon() {
  clearTimeout(listTimer);
  listTimer = setTimeout(loadList, 150);
}

/* ---- the open conversation ---- */
let threadEl = null;

function drawThread() {
  if (!threadEl) return;
  keepAtBottom(threadEl, () => fill(threadEl, threadView(store, { viewer: 'staff', onRetry: writer ? retry : null })));
}

async function openConversation(id) {
  let v;
  try {
    v = (await api.get(`/api/conversations/${encodeURIComponent(id)}`)).data;
  } catch {
    return;
  }
  openConv = v;
  /* the newest ticket opened from it, here or earlier */
  openTicket = v.tickets && v.tickets.length ? v.tickets[v.tickets.length - 1] : null;
  store.clear(v.id);
  saveUrl();
  await drawConversation();
  $$('[data-testid=conversation-row]').forEach((b) => b.setAttribute('aria-current', String(b.dataset.conversationId === v.id)));
  await loadThread();
  if (writer && v.unreadCount > 0) {
    api.patch(`/api/conversations/${encodeURIComponent(v.id)}`, { read: true }, { quiet: true }).catch(() => {});
  }
}

async function loadThread() {
  if (!openConv) return;
  const id = openConv.id;
  try {
    const t = await fetchThread(id);
    if (!openConv || openConv.id !== id) return;
    store.load(t.messages, t.older);
  } catch { /* the toast said why */ }
}

function statusControl(v) {
  const s = select(CONVERSATION_STATUSES, { testid: 'conversation-status', disabled: !writer });
  s.value = v.status;
  s.addEventListener('change', async () => {
    const want = s.value;
    s.disabled = true;
    try {
      const r = await api.patch(`/api/conversations/${encodeURIComponent(v.id)}`, { status: want });
      applyConversation(r.data);
    } catch {
      s.value = openConv.status;
    } finally {
      s.disabled = !writer;
    }
  });
  return field('Status', s);
}

/* The newest ticket opened from the conversation, and a button to open
 * one (another, when the customer brings up something new). */
function ticketControl(v) {
  const link = openTicket ? h('a', { class: 'btn', testid: 'ticket-link', href: ticketHref(openTicket.key) },
    `Ticket ${openTicket.key}`) : null;
  if (!writer) return link;
  const b = h('button', { type: 'button', testid: 'open-ticket-button' }, openTicket ? 'Open another ticket' : 'Open ticket');
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      openTicket = (await api.post(`/api/conversations/${encodeURIComponent(v.id)}/ticket`, {})).data;
      drawHeader();
    } catch {
      b.disabled = false;
    }
  });
  return link ? [link, ' ', b] : b;
}

function replyForm(v) {
  if (!writer) return h('p', { class: 'muted small' }, 'Viewers read conversations; agents and admins reply.');
  if (v.status === 'closed') {
    return h('p', { class: 'muted small', testid: 'reply-closed' },
      "The conversation is closed; the customer's next message opens a new one.");
  }
  const input = h('textarea', { testid: 'reply-input', maxlength: 2000, required: true, placeholder: 'Write a reply (Ctrl+Enter sends)' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'reply-submit' }, 'Send reply');
  const form = h('form', { class: 'reply-form' }, field('Reply', input), submit);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    submit.disabled = true;
    try {
      const r = await api.post(`/api/conversations/${encodeURIComponent(v.id)}/messages`, { content });
      store.answer(r.data);
      input.value = '';
    } catch { /* the toast said why */ } finally {
      submit.disabled = false;
      input.focus();
    }
  });
  return form;
}

async function retry(m) {
  try {
    const r = await api.post(`/api/conversations/${encodeURIComponent(m.conversationId)}/messages/${encodeURIComponent(m.id)}/retry`);
    store.answer(r.data);
  } catch { /* the toast said why */ }
}

let headerEl = null;
let replyEl = null;

async function drawHeader() {
  const v = openConv;
  const c = await customer(v.customerId);
  if (openConv !== v) return;
  fill(headerEl,
    h('div', { class: 'row', style: 'align-items: center; justify-content: space-between' },
      h('div', {},
        h('h2', { id: 'conv-h', style: 'margin: 0' }, customerName(c, v.customerId)),
        h('div', { class: 'small muted' },
          [c && c.email, c && c.phone].filter(Boolean).join(' · '),
          ' ', badge(v.platform, 'info'), ' ',
          h('span', { testid: 'conversation-mode' }, v.mode === 'ai' ? 'answered by the AI' : 'answered by people'))),
      h('div', { class: 'row', style: 'align-items: flex-end' }, statusControl(v), ticketControl(v))));
}

async function drawConversation() {
  headerEl = h('div', {});
  threadEl = h('div', { class: 'thread conv-thread', testid: 'conversation-thread', 'aria-live': 'polite', 'aria-label': 'Messages' });
  replyEl = h('div', {});
  fill($('#conversation'), headerEl, threadEl, replyEl);
  fill(replyEl, replyForm(openConv));
  await drawHeader();
}

/* A newer document of the open conversation (PATCH answer or event). */
function applyConversation(doc) {
  if (!openConv || doc.id !== openConv.id) return;
  const closedChanged = (doc.status === 'closed') !== (openConv.status === 'closed');
  openConv = { ...openConv, ...doc };
  delete openConv.changes;
  drawHeader();
  if (closedChanged) fill(replyEl, replyForm(openConv));
}

/* ---- live ---- */
function onEvent(type, data) {
  if (!data) return;
  if (type === 'new_message' || type === 'message_sent') {
    store.event(data);
    if (type === 'new_message') reloadListSoon();
    return;
  }
  if (type === 'conversation_updated') applyConversation(data);
  reloadListSoon();
}

function live() {
  follow('/api/events/stream', {
    query: { types: EVENT_TYPES.join(',') },
    onFirstConnect: () => { reloadListSoon(); loadThread(); },
    onEvent,
    onReset: () => { reloadListSoon(); loadThread(); },
  });
}

filterForm();
live();
loadList();
if (state.id) openConversation(state.id);
