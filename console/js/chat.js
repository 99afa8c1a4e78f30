/* chat.js: the agents' assistant (chat.html, seed document 002).
 *
 * Sessions with the assistant are listed newest-used first and can be
 * opened again (chat.html?session=ID keeps the open one across a reload),
 * started and deleted.  The tickets attached to a session are chips that
 * can be removed; the slide-out ticket picker searches and filters GET
 * /api/tickets and offers only tickets not attached yet.  A message is
 * answered by the assistant, which runs tools as the agent: every ticket
 * it creates, reads, changes or finds (the answer's ticketRefs) is shown
 * as an inline card linking to the ticket, and each step of its work
 * arrives as a private chat_progress event on the agent's own stream,
 * shown while it works. */
import { api } from './api.js';
import { h, fill, $, shell, badge, when, field, select, pageParams, toast, confirmButton, ticketHref, priorityBadge } from './ui.js';
import { follow } from './stream.js';
import { STATUSES, PRIORITIES } from './model.js';

await shell(['admin', 'agent']);

let session = null;          /* the open session, as GET /api/chat/sessions/:id gives it */
let sending = false;
const tickets = new Map();   /* ticket id -> ticket, as cards show them */

/* ---- small parts ---- */
const attachedIds = () => new Set(session ? session.attachedTickets.map((t) => t.id) : []);

function setSessionInUrl(id) {
  const q = new URLSearchParams(location.search);
  if (id) q.set('session', id); else q.delete('session');
  history.replaceState(null, '', q.toString() ? `?${q}` : location.pathname);
}

/* ---- sessions ---- */
async function loadSessions() {
  let page;
  try { page = await api.get('/api/chat/sessions', { limit: 100 }); } catch { return; }
  const list = $('#sessions');
  if (!page.data.length) {
    fill(list, h('li', { class: 'empty' }, 'No sessions yet. Write a message to start one.'));
    return;
  }
  fill(list, page.data.map(sessionRow));
  const mine = session && page.data.find((s) => s.id === session.id);
  if (mine && mine.title) {
    session.title = mine.title;
    fill($('#session-title'), mine.title);
  }
}

function sessionRow(s) {
  const current = session && session.id === s.id;
  const del = confirmButton('Delete', { class: 'link danger', testid: 'session-delete',
    'aria-label': `Delete session ${s.title || 'untitled'}` }, () => deleteSession(s));
  return h('li', { testid: 'session-row', 'data-session-id': s.id, class: current ? 'current' : '' },
    h('button', { type: 'button', class: 'link chat-session-open', 'aria-current': current ? 'true' : null,
      onclick: () => openSession(s.id) }, s.title || 'Untitled session'),
    h('div', { class: 'small muted row', style: 'justify-content: space-between; align-items: center' },
      h('span', {}, `${s.messageCount} messages · ${when(s.updatedAt)}`), del));
}

/* A delete asks once more on the same button (no dialog). */
async function deleteSession(s) {
  try { await api.del(`/api/chat/sessions/${s.id}`); } catch { return; }
  toast('Session deleted.', 'ok');
  if (session && session.id === s.id) showSession(null);
  loadSessions();
}

async function openSession(id) {
  let doc;
  try { doc = (await api.get(`/api/chat/sessions/${id}`)).data; } catch { return; }
  await showSession(doc);
  loadSessions();
}

async function newSession() {
  let doc;
  try { doc = (await api.post('/api/chat/sessions', {})).data; } catch { return null; }
  await showSession(doc);
  loadSessions();
  $('#chat-input').focus();
  return doc;
}

async function ensureSession() {
  return session || newSession();
}

async function showSession(doc) {
  session = doc;
  setSessionInUrl(doc && doc.id);
  fill($('#session-title'), doc ? doc.title || 'Untitled session' : 'New session');
  fill($('#progress'));
  renderChips();
  const thread = $('#thread');
  if (!doc || !doc.messages.length) {
    fill(thread, h('p', { class: 'empty' }, 'Ask the assistant to find, create or update tickets.'));
    return;
  }
  fill(thread, doc.messages.map(messageEl));
  await cardsFor(doc.messages);
  thread.lastElementChild?.scrollIntoView({ block: 'nearest' });
}

/* ---- attached tickets ---- */
function renderChips() {
  const list = session ? session.attachedTickets : [];
  fill($('#chips'), list.length ? list.map(chip) : h('span', { class: 'small muted' }, 'none'));
}

function chip(t) {
  const remove = h('button', { type: 'button', testid: 'chip-remove', 'aria-label': `Remove ${t.key}` }, '×');
  remove.addEventListener('click', () => changeTickets({ detach: [t.id] }));
  return h('span', { class: 'chip', role: 'listitem', testid: 'ticket-chip', 'data-ticket-key': t.key, title: t.title },
    h('a', { href: ticketHref(t.key) }, t.key), h('span', { class: 'chip-title' }, t.title), remove);
}

async function changeTickets(body) {
  if (!(await ensureSession())) return false;
  let doc;
  try { doc = (await api.patch(`/api/chat/sessions/${session.id}/tickets`, body)).data; } catch { return false; }
  session.attachedTickets = doc.attachedTickets;
  session.attachedTicketIds = doc.attachedTicketIds;
  renderChips();
  if (!$('#picker').hidden) loadPicker();
  return true;
}

/* ---- the ticket picker (a slide-out drawer) ---- */
const pick = {
  q: h('input', { type: 'search', name: 'q', testid: 'picker-search', placeholder: 'words in title or description' }),
  status: select(['', ...STATUSES], { name: 'status', testid: 'picker-status' }),
  priority: select(['', ...PRIORITIES], { name: 'priority', testid: 'picker-priority' }),
};
let opener = null;

function pickerForm() {
  const f = $('#picker-filters');
  fill(f, field('Search', pick.q), field('Status', pick.status), field('Priority', pick.priority),
    h('button', { type: 'submit', class: 'primary', testid: 'picker-apply' }, 'Search'));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); loadPicker(); });
  pick.status.addEventListener('change', loadPicker);
  pick.priority.addEventListener('change', loadPicker);
  $('#picker-close').addEventListener('click', closePicker);
  /* Escape closes it wherever the focus is; Tab stays inside it while it
   * is open (a dialog), and the focus goes back to its opener after. */
  document.addEventListener('keydown', (ev) => {
    const d = $('#picker');
    if (d.hidden || ev.isComposing || ev.defaultPrevented) return;
    if (ev.key === 'Escape') { closePicker(); return; }
    if (ev.key !== 'Tab') return;
    const stops = [...d.querySelectorAll('button, input, select, a[href]')].filter((el) => !el.disabled && el.offsetParent);
    if (!stops.length) return;
    const first = stops[0];
    const last = stops[stops.length - 1];
    if (!d.contains(document.activeElement)) { ev.preventDefault(); first.focus(); }
    else if (ev.shiftKey && document.activeElement === first) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && document.activeElement === last) { ev.preventDefault(); first.focus(); }
  });
  $('[data-testid=attach-ticket-button]').addEventListener('click', (ev) => {
    opener = ev.currentTarget;
    openPicker();
  });
}

function openPicker() {
  const d = $('#picker');
  d.hidden = false;
  opener?.setAttribute('aria-expanded', 'true');
  pick.q.focus();
  loadPicker();
}

function closePicker() {
  $('#picker').hidden = true;
  opener?.setAttribute('aria-expanded', 'false');
  opener?.focus();
}

let pickerSeq = 0;
async function loadPicker() {
  const seq = ++pickerSeq;
  const q = { q: pick.q.value.trim(), status: pick.status.value, priority: pick.priority.value, limit: 50 };
  let page;
  try { page = await api.get('/api/tickets', q); } catch { return; }
  if (seq !== pickerSeq) return;
  const taken = attachedIds();
  const free = page.data.filter((t) => !taken.has(t.id));
  const hiddenCount = page.data.length - free.length;
  const plural = (n) => `${n} ticket${n === 1 ? '' : 's'}`;
  const attachedNote = hiddenCount ? ` (${plural(hiddenCount)} attached already, not shown)` : '';
  fill($('#picker-summary'), free.length ? `${plural(free.length)}${attachedNote}`
    : `No tickets to attach match${attachedNote}.`);
  fill($('#picker-list'), free.map(pickerRow));
}

function pickerRow(t) {
  const add = h('button', { type: 'button', testid: 'picker-attach', 'aria-label': `Attach ${t.key}` }, 'Attach');
  add.addEventListener('click', async () => {
    add.disabled = true;
    if (await changeTickets({ attach: [t.id] })) toast(`${t.key} attached.`, 'ok');
    else add.disabled = false;
  });
  return h('li', { testid: 'picker-ticket', 'data-ticket-key': t.key, class: 'row', style: 'align-items: center; justify-content: space-between' },
    h('div', {}, h('a', { href: ticketHref(t.key) }, t.key), ' ', t.title,
      h('div', { class: 'small' }, badge(t.status), ' ', priorityBadge(t.priority))),
    add);
}

/* ---- messages and their ticket cards ---- */
function toolSummary(calls) {
  if (!calls || !calls.length) return null;
  return h('span', { class: 'chat-tools', testid: 'chat-tools' },
    'used ', calls.map((c, i) => [i ? ', ' : '', `${c.name}${c.ok ? '' : ' (failed)'}`]));
}

function messageEl(m) {
  const mine = m.role === 'user';
  return h('article', { class: `msg ${mine ? 'user' : m.role === 'assistant' ? 'assistant' : 'system'}`,
    testid: 'chat-message', 'data-role': m.role, 'data-message-id': m.id || null },
    h('div', { class: 'meta' }, h('strong', {}, mine ? 'You' : 'Assistant'),
      h('span', {}, when(m.createdAt)), toolSummary(m.toolCalls)),
    h('div', { class: 'body' }, m.content),
    m.ticketRefs && m.ticketRefs.length ? h('div', { class: 'chat-cards', 'data-refs': m.ticketRefs.join(',') }) : null);
}

/* What the tools' results already say about tickets (create_ticket's
 * new ticket, get_ticket's, search_tickets' list) saves a GET each. */
function learnFrom(calls) {
  for (const c of calls || []) {
    let r;
    try { r = JSON.parse(c.result); } catch { continue; }
    const found = Array.isArray(r && r.data) ? r.data : r && r.data ? [r.data] : [];
    for (const t of found) if (t && t.id && t.key) tickets.set(t.id, { ...t, via: c.name });
  }
}

async function ticketOf(id) {
  if (!tickets.has(id)) {
    try { tickets.set(id, (await api.get(`/api/tickets/${id}`, null, { quiet: true })).data); } catch { tickets.set(id, null); }
  }
  return tickets.get(id);
}

async function cardsFor(messages) {
  for (const m of messages) learnFrom(m.toolCalls);
  for (const box of document.querySelectorAll('.chat-cards[data-refs]')) {
    const ids = box.dataset.refs.split(',');
    box.removeAttribute('data-refs');
    const found = (await Promise.all(ids.map(ticketOf))).filter(Boolean);
    fill(box, found.map(ticketCard));
  }
}

function ticketCard(t) {
  const created = t.via === 'create_ticket' || t.source === 'chat' && session && t.chatSessionId === session.id;
  const attached = attachedIds().has(t.id);
  const attach = h('button', { type: 'button', class: 'link', testid: 'card-attach', hidden: attached,
    'aria-label': `Attach ${t.key} to this session` }, 'Attach');
  attach.addEventListener('click', async () => { if (await changeTickets({ attach: [t.id] })) attach.hidden = true; });
  return h('div', { class: 'ticket-card', testid: 'ticket-card', 'data-ticket-key': t.key },
    h('div', { class: 'row', style: 'align-items: center' },
      h('a', { href: ticketHref(t.key), testid: 'ticket-card-link' }, h('strong', {}, t.key)),
      badge(t.status), priorityBadge(t.priority),
      created ? h('span', { class: 'small muted' }, 'created in this chat') : null, attach),
    h('div', {}, t.title));
}

/* ---- sending ---- */
async function send(content) {
  if (sending || !content.trim()) return;
  if (!(await ensureSession())) return;
  sending = true;
  const input = $('#chat-input');
  const button = $('[data-testid=chat-send]');
  input.disabled = true;
  button.disabled = true;
  const thread = $('#thread');
  thread.querySelector('.empty')?.remove();
  const pending = messageEl({ role: 'user', content, createdAt: new Date().toISOString() });
  thread.append(pending);
  fill($('#progress'), h('span', { testid: 'chat-progress-step' }, 'The assistant is thinking…'));
  try {
    const out = (await api.post(`/api/chat/sessions/${session.id}/messages`, { content })).data;
    pending.replaceWith(messageEl(out.userMessage));
    thread.append(messageEl(out.message));
    session.messages.push(out.userMessage, out.message);
    input.value = '';
    await cardsFor([out.message]);
    thread.lastElementChild.scrollIntoView({ block: 'nearest' });
  } catch {
    /* the toast said why; what the server kept is what the thread shows */
    await reloadSession();
    progressStep('The assistant could not answer.');
  } finally {
    sending = false;
    input.disabled = false;
    button.disabled = false;
    input.focus();
    loadSessions();
  }
}

async function reloadSession() {
  if (!session) return;
  try { await showSession((await api.get(`/api/chat/sessions/${session.id}`)).data); } catch { /* toast */ }
}

function composer() {
  const form = $('#composer');
  const input = $('#chat-input');
  form.addEventListener('submit', (ev) => { ev.preventDefault(); send(input.value); });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); send(input.value); }
  });
  $('[data-testid=new-session]').addEventListener('click', newSession);
}

/* ---- progress: the private chat_progress events of this user ---- */
function describe(step) {
  const args = step.arguments ? Object.entries(step.arguments).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ') : '';
  switch (step.step) {
    case 'tool_started': return `Running ${step.tool}${args ? ` (${args.slice(0, 120)})` : ''}…`;
    case 'tool_finished': return `${step.tool} ${step.ok ? 'done' : 'failed'}.`;
    case 'answered': return 'Answered.';
    case 'failed': return 'The assistant could not answer.';
    default: return step.step;
  }
}

function progressStep(text) {
  const box = $('#progress');
  box.querySelector('[data-testid=chat-progress-step]:not([data-step])')?.remove();
  box.append(h('div', { testid: 'chat-progress-step', 'data-step': '1' }, text));
}

function live() {
  follow('/api/events/stream', {
    query: { types: 'chat_progress' },
    onEvent: (type, data) => {
      if (type !== 'chat_progress' || !session || data.sessionId !== session.id) return;
      progressStep(describe(data));
    },
  });
}

pickerForm();
composer();
live();
loadSessions();
const wanted = pageParams().session;
if (wanted) openSession(wanted); else showSession(null);
