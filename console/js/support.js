/* support.js: the customer's pages (support.html): their tickets, a form
 * for a new one, their conversations, and the web chat.
 *
 * Everything is read as the customer: GET /api/tickets and GET
 * /api/conversations answer only what is theirs, and a ticket links to
 * ticket.html.  The chat opens a web conversation with its first message
 * (POST /api/conversations) and writes more with POST .../messages.  In
 * mode ai the AI's answer is stored by the server as a message of sender
 * ai and arrives as a live new_message; "Talk to a human" (POST
 * .../transfer) hands the conversation to a person, and the handoff note
 * and the mode show at once.  The conversation's id is kept in the URL
 * (?chat=) and in localStorage, so a reload shows the stored thread again.
 *
 * Live: /api/events/stream (a customer's stream carries only their own
 * conversations and tickets): messages and mode changes of the open chat,
 * and the lists, update without a reload. */
import { api } from './api.js';
import { h, fill, $, shell, badge, when, field, pageParams, toast, ticketHref, pageSummary, pager } from './ui.js';
import { follow } from './stream.js';
import { MessageStore, fetchThread, threadView, keepAtBottom } from './conversation.js';

const me = await shell(['customer']);
const CHAT_KEY = `tickets.supportChat.${me.id}`;
const TICKETS_LIMIT = 20;
const EVENT_TYPES = ['new_message', 'message_sent', 'conversation_updated', 'new_conversation',
  'ticket_created', 'ticket_updated', 'ticket_deleted', 'ticket_message_added'];

let conv = null;              /* the chat's conversation document */
let ticketsOffset = 0;
const store = new MessageStore(drawThread);
const debounced = new Map();

function soon(key, fn, ms = 150) {
  clearTimeout(debounced.get(key));
  debounced.set(key, setTimeout(fn, ms));
}

/* ---- my tickets ---- */
function ticketRow(t) {
  const href = ticketHref(t.key);
  return h('li', { testid: 'my-ticket', 'data-ticket-key': t.key },
    h('div', { class: 'row', style: 'justify-content: space-between; align-items: center' },
      h('a', { href }, h('strong', {}, t.key), ' ', h('span', { testid: 'my-ticket-title' }, t.title)),
      badge(t.status)),
    h('div', { class: 'small muted' }, `Updated ${when(t.updatedAt)}`));
}

async function loadTickets() {
  let page;
  try {
    page = await api.get('/api/tickets', { limit: TICKETS_LIMIT, offset: ticketsOffset || undefined, sort: '-updatedAt' });
  } catch {
    return;
  }
  fill($('#tickets'), page.data.length ? page.data.map(ticketRow)
    : h('li', { class: 'empty' }, 'You have no tickets yet.'));
  fill($('#tickets-summary'), pageSummary('Tickets', page));
  const one = page.total <= page.limit && !page.offset;
  fill($('#tickets-pager'), one ? null : pager(page, (offset) => { ticketsOffset = offset; loadTickets(); }));
}

function ticketForm() {
  const form = $('#new-ticket');
  const title = h('input', { name: 'title', required: true, maxlength: 200, testid: 'new-ticket-title' });
  const description = h('textarea', { name: 'description', required: true, testid: 'new-ticket-description' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'new-ticket-submit' }, 'Send ticket');
  fill(form, field('Subject', title), field('What happened?', description), submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      const t = (await api.post('/api/tickets', { title: title.value, description: description.value })).data;
      form.reset();
      toast(`Ticket ${t.key} was created. We will answer there.`, 'ok');
      ticketsOffset = 0;
      loadTickets();
    } catch { /* the toast said why */ } finally {
      submit.disabled = false;
      title.focus();
    }
  });
}

/* ---- my conversations ---- */
function conversationRow(v) {
  const current = conv && conv.id === v.id;
  return h('li', { testid: 'my-conversation', 'data-conversation-id': v.id },
    h('div', { class: 'row', style: 'justify-content: space-between; align-items: center' },
      h('span', {}, badge(v.platform === 'web' ? 'web chat' : v.platform, 'info'), ' ', badge(v.status),
        ' ', h('span', { class: 'small muted' }, when(v.lastMessageAt))),
      current ? h('span', { class: 'small muted' }, 'shown in the chat')
        : h('button', { type: 'button', class: 'link', onclick: () => showConversation(v.id) }, 'Show')));
}

async function loadConversations() {
  let page;
  try {
    page = await api.get('/api/conversations', { limit: 20 });
  } catch {
    return;
  }
  fill($('#conversations'), page.data.length ? page.data.map(conversationRow)
    : h('li', { class: 'empty' }, 'No conversations yet.'));
}

/* ---- the chat ---- */
let threadEl = null;
let headEl = null;
let formEl = null;

const writable = (v) => v && v.platform === 'web' && v.status !== 'closed';

function remember(id) {
  if (id) localStorage.setItem(CHAT_KEY, id); else localStorage.removeItem(CHAT_KEY);
  const q = new URLSearchParams(location.search);
  if (id) q.set('chat', id); else q.delete('chat');
  const s = q.toString();
  history.replaceState(null, '', s ? `?${s}` : location.pathname);
}

function waitingForAi() {
  const last = store.last();
  return conv && conv.mode === 'ai' && last && last.sender === 'customer';
}

function drawThread() {
  if (!threadEl) return;
  keepAtBottom(threadEl, () => fill(threadEl,
    conv ? threadView(store, { viewer: 'customer', testid: 'chat-message' })
      : h('p', { class: 'empty' }, 'Ask a question: our assistant answers at once, and a person takes over whenever you want.'),
    waitingForAi() ? h('p', { class: 'progress', testid: 'chat-waiting' }, 'The assistant is writing…') : null));
}

function drawHead() {
  if (!headEl) return;
  if (!conv) {
    fill(headEl);
    return;
  }
  const transfer = conv.mode === 'ai' && writable(conv)
    ? h('button', { type: 'button', testid: 'transfer-button', onclick: transferToHuman }, 'Talk to a human')
    : null;
  fill(headEl, h('div', { class: 'row', style: 'align-items: center; justify-content: space-between' },
    h('span', { class: 'small' }, 'Answered by: ',
      h('span', { class: `badge ${conv.mode === 'ai' ? 'running' : 'sent'}`, testid: 'chat-mode' }, conv.mode),
      ' ', badge(conv.status)),
    h('div', { class: 'row' }, transfer,
      h('button', { type: 'button', testid: 'chat-new', onclick: newChat }, 'New conversation'))),
  conv.status === 'closed'
    ? h('p', { class: 'small muted' }, 'This conversation is closed. Writing below starts a new one.') : null,
  conv.platform !== 'web'
    ? h('p', { class: 'small muted' }, `This conversation is on ${conv.platform}; answer it there. Writing below starts a web chat.`) : null);
}

function chatForm() {
  const input = h('textarea', { testid: 'chat-input', maxlength: 2000, required: true, rows: 3, placeholder: 'Type your message (Enter sends, Shift+Enter for a new line)' });
  const send = h('button', { type: 'submit', class: 'primary', testid: 'chat-send' }, 'Send');
  const form = h('form', {}, field('Your message', input), send);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    send.disabled = true;
    try {
      /* the box empties as soon as the message is stored: the answer
       * can come before the rest below is done */
      if (writable(conv)) {
        const r = await api.post(`/api/conversations/${encodeURIComponent(conv.id)}/messages`, { content });
        input.value = '';
        store.answer(r.data);
      } else {
        const r = await api.post('/api/conversations', { content });
        input.value = '';
        setConversation(r.data);
        await loadThread();
        loadConversations();
      }
    } catch { /* the toast said why */ } finally {
      send.disabled = false;
      input.focus();
    }
  });
  return form;
}

function setConversation(v) {
  conv = v;
  store.clear(v ? v.id : null);
  remember(v ? v.id : null);
  drawHead();
  drawThread();
}

async function loadThread() {
  if (!conv) return;
  const id = conv.id;
  try {
    const t = await fetchThread(id);
    if (conv && conv.id === id) store.load(t.messages, t.older);
  } catch { /* the toast said why */ }
}

async function showConversation(id) {
  let v;
  try {
    v = (await api.get(`/api/conversations/${encodeURIComponent(id)}`, null, { quiet: true })).data;
  } catch (e) {
    if (e.status === 404) {
      remember(null);
      return;
    }
    throw e;
  }
  setConversation(v);
  await loadThread();
  loadConversations();
}

function newChat() {
  setConversation(null);
  loadConversations();
  const input = $('[data-testid=chat-input]');
  if (input) input.focus();
}

async function transferToHuman(ev) {
  const b = ev.currentTarget;
  b.disabled = true;
  try {
    const r = await api.post(`/api/conversations/${encodeURIComponent(conv.id)}/transfer`, {});
    applyConversation(r.data.conversation);
    store.answer(r.data.note);
    toast('A person will answer here soon.', 'ok');
  } catch {
    b.disabled = false;
  }
}

function applyConversation(doc) {
  if (!conv || doc.id !== conv.id) return;
  conv = { ...conv, ...doc };
  delete conv.changes;
  drawHead();
  drawThread();
}

function chatPanel() {
  headEl = h('div', {});
  threadEl = h('div', { class: 'thread support-thread', testid: 'chat-thread', 'aria-live': 'polite', 'aria-label': 'Messages' });
  formEl = chatForm();
  $('#chat').append(headEl, threadEl, formEl);
  drawHead();
  drawThread();
}

/* ---- live ---- */
function onEvent(type, data) {
  if (!data) return;
  if (type.startsWith('ticket_')) {
    soon('tickets', loadTickets);
    return;
  }
  if (type === 'new_message' || type === 'message_sent') store.event(data);
  if (type === 'conversation_updated') applyConversation(data);
  if (type !== 'message_sent') soon('conversations', loadConversations);
}

function live() {
  follow('/api/events/stream', {
    query: { types: EVENT_TYPES.join(',') },
    onFirstConnect: loadThread,
    onEvent,
    onReset: () => { loadThread(); loadTickets(); loadConversations(); },
  });
}

chatPanel();
ticketForm();
live();
loadTickets();
const stored = pageParams().chat || localStorage.getItem(CHAT_KEY);
if (stored) await showConversation(stored);
loadConversations();
