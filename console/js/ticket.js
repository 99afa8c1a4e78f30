/* ticket.js: one ticket (ticket.html?id=<key, number or uuid>), for staff
 * and for the customer whose ticket it is.
 *
 * GET /api/tickets/:id gives the fields, the thread, the attachments and
 * the linked articles; its ETag guards the status moves and edits
 * (If-Match: a 412 reloads the ticket and says so).  Staff see internal
 * notes marked as such, write replies and notes, move the status along
 * the lifecycle (model.js MOVES: only the legal moves are offered),
 * assign, tag, link help articles, read the audit timeline and use the
 * copilot (copilot.js).  A customer sees what the API gives a customer:
 * no notes, no timeline, no copilot, no staff controls.  A closed ticket
 * shows its transcript.  The ticket's live stream (/api/events/stream
 * ?ticket=) tells of changes by others ("Updated by someone else —
 * reload") and carries the copilot's job events; this page's own writes
 * are not news. */
import { api, request, upload, report } from './api.js';
import { h, fill, $, shell, badge, when, field, select, toast, pageParams, isStaff, priorityBadge } from './ui.js';
import { OwnWrites, follow } from './stream.js';
import { MOVES, canWrite, splitList } from './model.js';
import { copilotPanel } from './copilot.js';

const me = await shell(['admin', 'agent', 'viewer', 'customer']);
const staff = isStaff(me);
const writer = canWrite(me);
const own = new OwnWrites();
const ref = (pageParams().id || '').trim();
const TIMELINE_PAGE = 50;
let ticket = null;
let etag = null;
let staffUsers = [];
let copilot = null;
let replyInput = null;

const path = (rest = '') => `/api/tickets/${encodeURIComponent(ticket ? ticket.id : ref)}${rest}`;

/* ---- names ---- */
function people() {
  const map = new Map(staffUsers.map((u) => [u.id, u.name || u.email]));
  for (const u of [ticket.creator, ticket.assignee, me]) if (u) map.set(u.id, u.name || u.email);
  return map;
}

function nameOf(id, fallback = 'someone') {
  if (!id) return fallback;
  if (id === me.id) return `${me.name || me.email} (you)`;
  return people().get(id) || fallback;
}

/* ---- loading ---- */
function unavailable(err) {
  $('#loading').hidden = true;
  $('#ticket').hidden = true;
  const notFound = err.status === 404;
  document.title = `${notFound ? 'Ticket not found' : 'Ticket'} · mod_tickets`;
  fill($('#ticket-title'), notFound ? 'Ticket not found' : 'This ticket cannot be shown');
  $('#main').append(h('div', { class: 'panel', testid: 'ticket-not-found', role: 'alert' },
    h('p', {}, notFound
      ? `There is no ticket ${ref ? `“${ref}” ` : ''}that you can see. It may have been deleted, or it belongs to someone else.`
      : err.message),
    h('p', {}, h('a', { href: staff ? 'tickets.html' : 'support.html' }, staff ? 'Back to the tickets' : 'Back to my support')),
  ));
}

/* The ticket, drawn; unlessSame: not drawn again when its version is the
 * one shown (what a person is typing or choosing stays as it is). */
async function load(unlessSame = false) {
  let res;
  try {
    res = await request('GET', path(), { quiet: true });
  } catch (e) {
    if (!ticket) unavailable(e); else report(e);
    return false;
  }
  if (unlessSame && ticket && res.etag && res.etag === etag) return true;
  ticket = res.data.data;
  etag = res.etag;
  render();
  return true;
}

function render() {
  document.title = `${ticket.key} · ${ticket.title} · mod_tickets`;
  fill($('#ticket-title'), `${ticket.key} · `, h('span', { testid: 'ticket-title' }, ticket.title));
  $('#loading').hidden = true;
  $('#ticket').hidden = false;
  renderDetails();
  renderControls();
  renderThread();
  renderAttachments();
  renderArticles();
  if (staff) loadTimeline();
  loadTranscript();
}

/* ---- details ---- */
function detail(label, value, testid) {
  return h('div', { class: 'field' }, h('span', { class: 'small muted', style: 'display: block' }, label),
    h('span', { testid }, value === null || value === undefined || value === '' ? '—' : value));
}

function renderDetails() {
  const t = ticket;
  fill($('#details'),
    h('div', { class: 'grid halves' },
      detail('Status', badge(t.status, t.status, 'ticket-status')),
      detail('Priority', priorityBadge(t.priority, 'ticket-priority')),
      detail('Category', t.category, 'ticket-category'),
      detail('Product area', t.productArea, 'ticket-product-area'),
      detail('Source', t.source, 'ticket-source'),
      detail('Created by', t.creator ? t.creator.name || t.creator.email : null, 'ticket-creator'),
      detail('Assignee', t.assignee ? t.assignee.name || t.assignee.email : 'unassigned', 'ticket-assignee'),
      detail('Tags', t.tags.length ? t.tags.join(', ') : null, 'ticket-tags'),
      detail('Created', when(t.createdAt)),
      detail('Updated', when(t.updatedAt)),
      t.closedAt ? detail('Closed', when(t.closedAt), 'ticket-closed-at') : null));
}

/* ---- writes: the ETag goes along; a 412 reloads and says so ---- */
async function guarded(method, rest, body) {
  try {
    await own.track(request(method, path(rest), { body, headers: { 'If-Match': etag }, quiet: true }), () => ticket.id);
  } catch (e) {
    if (e.status === 412) {
      await load();
      toast('Someone else changed this ticket in the meantime. It has been reloaded: check it and try again.', 'error');
    } else {
      report(e);
    }
    return false;
  }
  await load();
  return true;
}

function statusControl() {
  const moves = MOVES[ticket.status] || [];
  if (!moves.length) return null;
  const to = select(moves, { name: 'status', testid: 'status-move' });
  const go = h('button', { type: 'submit', class: 'primary', testid: 'status-move-submit' }, 'Move');
  return h('form', { class: 'row', onsubmit: async (ev) => {
    ev.preventDefault();
    go.disabled = true;
    if (await guarded('PATCH', '/status', { status: to.value })) toast(`Moved to ${to.value.replace(/_/g, ' ')}.`, 'ok');
    go.disabled = false;
  } }, field('Move to', to), go);
}

function assignControl() {
  const mine = ticket.assigneeId === me.id;
  const parts = [
    mine ? null : h('button', { type: 'button', testid: 'assign-me', onclick: () => guarded('PATCH', '', { assigneeId: me.id }) }, 'Assign to me'),
    ticket.assigneeId ? h('button', { type: 'button', testid: 'unassign', onclick: () => guarded('PATCH', '', { assigneeId: null }) }, 'Unassign') : null,
  ];
  if (me.role === 'admin' && staffUsers.length) {
    const choices = staffUsers.filter((u) => (u.role === 'admin' || u.role === 'agent') && !u.disabled);
    const who = select([['', 'nobody'], ...choices.map((u) => [u.id, `${u.name || u.email} (${u.role})`])], { name: 'assignee', testid: 'assignee-select' });
    who.value = ticket.assigneeId || '';
    parts.push(h('form', { class: 'row', onsubmit: (ev) => {
      ev.preventDefault();
      if ((who.value || null) !== ticket.assigneeId) guarded('PATCH', '', { assigneeId: who.value || null });
    } }, field('Assignee', who), h('button', { type: 'submit', testid: 'assignee-submit' }, 'Assign')));
  }
  return h('div', { class: 'row', style: 'margin: 8px 0' }, parts);
}

function tagsControl() {
  const input = h('input', { name: 'tags', testid: 'tags-input', placeholder: 'comma separated' });
  input.value = ticket.tags.join(', ');
  return h('form', { class: 'row', onsubmit: (ev) => {
    ev.preventDefault();
    const tags = splitList(input.value);
    if (tags.join('\u0000') === ticket.tags.join('\u0000')) { toast('The tags are unchanged.'); return; }
    guarded('PATCH', '', { tags }).then((ok) => { if (ok) toast('Tags saved.', 'ok'); });
  } }, h('div', { class: 'field', style: 'flex: 1 1 180px' }, h('label', { for: 'f-tags' }, 'Tags'), Object.assign(input, { id: 'f-tags' })),
  h('button', { type: 'submit', testid: 'tags-save' }, 'Save tags'));
}

function renderControls() {
  fill($('#controls'), writer ? [statusControl(), assignControl(), tagsControl()] : null);
}

/* ---- thread ---- */
function authorOf(m) {
  if (m.authorType === 'customer') return m.authorId === me.id ? `${me.name || me.email} (you)` : 'Customer';
  if (m.authorType === 'system') return 'System';
  if (!staff) return m.authorId === me.id ? 'You' : 'Support';
  return nameOf(m.authorId, m.authorType);
}

function messageView(m) {
  const cls = ['msg', m.internal ? 'internal' : '', m.authorType === 'system' ? 'system' : '', m.authorId === me.id ? 'mine' : ''];
  return h('article', { class: cls.filter(Boolean).join(' '), testid: 'ticket-message', 'data-message-id': m.id },
    h('div', { class: 'meta' }, h('strong', {}, authorOf(m)), h('span', {}, when(m.createdAt)),
      m.internal ? badge('internal note', 'internal', 'internal-badge') : null),
    h('div', { class: 'body' }, m.content));
}

function renderThread() {
  const msgs = ticket.messages || [];
  fill($('#thread'), msgs.length ? msgs.map(messageView) : h('p', { class: 'empty' }, 'No messages yet.'));
}

function replyForm() {
  const form = $('#reply');
  if (!staff || writer) {
    replyInput = h('textarea', { name: 'content', testid: 'ticket-reply-input', required: true });
    const internal = staff ? h('input', { type: 'checkbox', name: 'internal', id: 'f-internal', testid: 'ticket-reply-internal' }) : null;
    const submit = h('button', { type: 'submit', class: 'primary', testid: 'ticket-reply-submit' }, 'Send');
    fill(form, h('div', { class: 'field', style: 'margin-top: 12px' }, h('label', { for: 'f-reply' }, staff ? 'Reply or note' : 'Your reply'),
      Object.assign(replyInput, { id: 'f-reply' })),
    h('div', { class: 'row', style: 'align-items: center; justify-content: space-between' },
      internal ? h('span', { class: 'row', style: 'align-items: center' }, internal,
        h('label', { for: 'f-internal', style: 'margin: 0' }, 'Internal note')) : h('span'),
      submit));
    internal && internal.addEventListener('change', () => { submit.textContent = internal.checked ? 'Add note' : 'Send'; });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { content: replyInput.value };
      if (internal && internal.checked) body.internal = true;
      submit.disabled = true;
      try {
        await own.track(api.post(path('/messages'), body), (r) => r.data.id);
        replyInput.value = '';
        if (internal) { internal.checked = false; submit.textContent = 'Send'; }
        await load();
      } catch { /* the toast said why */ } finally {
        submit.disabled = false;
        replyInput.focus();
      }
    });
  } else {
    fill(form, h('p', { class: 'small muted' }, 'Viewers read tickets; agents and admins reply.'));
  }
}

/* ---- attachments ---- */
function size(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function renderAttachments() {
  const list = ticket.attachments || [];
  fill($('#attachments'), list.length ? list.map((a) => h('li', { testid: 'attachment', 'data-attachment-id': a.id },
    h('a', { href: a.url, download: a.filename, testid: 'attachment-link' }, a.filename),
    h('span', { class: 'small muted' }, ` ${size(a.size)} · ${nameOf(a.uploadedBy, 'someone')} · ${when(a.createdAt)}`),
    a.internal ? [' ', badge('internal', 'internal')] : null))
    : h('li', { class: 'empty' }, 'No attachments.'));
}

function uploadForm() {
  const form = $('#upload');
  if (staff && !writer) return;
  const file = h('input', { type: 'file', name: 'file', testid: 'attachment-input', accept: '.txt,.log,.png,.jpg,.jpeg,.json', required: true });
  const bar = h('progress', { max: 1, value: 0, testid: 'attachment-progress', hidden: true });
  const submit = h('button', { type: 'submit', testid: 'attachment-submit' }, 'Upload');
  fill(form, h('div', { class: 'row', style: 'margin-top: 8px' }, field('Attach a file', file), submit), bar);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!file.files.length) return;
    submit.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    try {
      const doc = await own.track(upload(path('/attachments'), file.files[0], (p) => { bar.value = p; }), () => ticket.id);
      form.reset();
      toast(`Uploaded ${doc.data.filename}.`, 'ok');
      await load();
    } catch { /* the toast said why */ } finally {
      submit.disabled = false;
      bar.hidden = true;
    }
  });
}

/* ---- linked articles ---- */
function renderArticles() {
  const links = ticket.articles || [];
  fill($('#articles'), links.length ? links.map((a) => h('li', { testid: 'linked-article', 'data-article-id': a.id },
    h('span', {}, a.title), ' ',
    a.category ? h('span', { class: 'small muted' }, a.category) : null, ' ',
    staff && a.status ? badge(a.status, a.status === 'published' ? 'complete' : 'pending') : null, ' ',
    writer ? h('button', { type: 'button', class: 'link', testid: 'article-unlink', 'aria-label': `Unlink ${a.title}`, onclick: () => unlink(a) }, 'Unlink') : null))
    : h('li', { class: 'empty' }, 'No articles linked.'));
  if (writer) articleForm(links);
}

async function articleForm(links) {
  let all;
  try {
    all = (await api.get('/api/faqs', { limit: 100 })).data;
  } catch {
    return;
  }
  const linked = new Set(links.map((a) => a.id));
  const free = all.filter((a) => !linked.has(a.id));
  const form = $('#article-form');
  if (!free.length) { fill(form, h('p', { class: 'small muted' }, 'Every article is linked.')); return; }
  const choice = select(free.map((a) => [a.id, `${a.title}${a.status === 'draft' ? ' (draft)' : ''}`]), { name: 'article', testid: 'article-select' });
  fill(form, h('div', { class: 'row', style: 'margin-top: 8px' },
    h('div', { class: 'field', style: 'flex: 1 1 180px' }, h('label', { for: 'f-article' }, 'Link an article'), Object.assign(choice, { id: 'f-article' })),
    h('button', { type: 'submit', testid: 'article-link' }, 'Link')));
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      await own.track(api.post(path('/articles'), { articleId: choice.value }), () => ticket.id);
    } catch { return; }
    load();
  };
}

async function unlink(a) {
  try {
    await own.track(api.del(path(`/articles/${encodeURIComponent(a.id)}`)), () => ticket.id);
  } catch { return; }
  load();
}

/* ---- timeline ---- */
const show = (v) => (v === null || v === undefined || v === '' ? '—' : Array.isArray(v) ? v.join(', ') || '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function changes(p) {
  const before = p.before || {};
  const after = p.after || {};
  return Object.keys(after).map((k) => {
    if (k === 'assigneeId') return `assignee: ${nameOf(before[k], 'nobody')} → ${nameOf(after[k], 'nobody')}`;
    return `${k}: ${show(before[k])} → ${show(after[k])}`;
  }).join('; ');
}

function describe(ev) {
  const p = ev.payload || {};
  switch (ev.type) {
    case 'TICKET_CREATED': return p.after ? `“${p.after.title}”` : '';
    case 'STATUS_CHANGED': case 'UPDATED': case 'ASSIGNED': return changes(p);
    case 'MESSAGE_ADDED': return p.internal ? 'an internal note' : `a reply (${p.authorType || 'agent'})`;
    case 'ATTACHMENT_ADDED': return `${p.filename} (${size(p.size || 0)})`;
    case 'ARTICLE_LINKED': case 'ARTICLE_UNLINKED': return `“${p.title}”`;
    default: return Object.keys(p).length ? JSON.stringify(p) : '';
  }
}

function eventView(ev) {
  return h('li', { testid: 'timeline-event', 'data-event-type': ev.type, 'data-event-id': ev.id },
    h('strong', {}, ev.type.replace(/_/g, ' ').toLowerCase()), ' ',
    h('span', { class: 'muted' }, `${when(ev.createdAt)} · ${nameOf(ev.actorId, 'system')}`),
    describe(ev) ? h('div', { class: 'small' }, describe(ev)) : null);
}

async function loadTimeline(offset = 0) {
  $('#timeline-panel').hidden = false;
  let page;
  try {
    page = await api.get(path('/events'), { limit: TIMELINE_PAGE, offset: offset || undefined });
  } catch {
    return;
  }
  const list = $('#timeline');
  if (!offset) fill(list);
  list.append(...page.data.map(eventView));
  const shown = offset + page.data.length;
  fill($('#timeline-summary'), `${page.total} event${page.total === 1 ? '' : 's'}, oldest first${shown < page.total ? ` (${shown} shown)` : ''}.`);
  fill($('#timeline-more'), shown < page.total
    ? h('button', { type: 'button', testid: 'timeline-more', onclick: () => loadTimeline(shown) }, 'Show more')
    : null);
}

/* ---- transcript of a closed ticket ---- */
async function loadTranscript() {
  const panel = $('#transcript-panel');
  if (ticket.status !== 'closed') {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  let doc;
  try {
    doc = (await api.get(path('/transcript'), null, { quiet: true })).data;
  } catch (e) {
    fill($('#transcript'), h('p', { class: 'muted', testid: 'transcript-missing' }, e.message));
    return;
  }
  const tr = doc.transcript || {};
  const names = new Map((tr.messages || []).map((m) => [m.authorId, m.authorName]));
  fill($('#transcript'),
    h('p', { class: 'small muted' }, `Version ${doc.version}, closed ${when(doc.closedAt)}.`),
    h('div', { class: 'thread' }, (tr.messages || []).map((m) => h('article', { class: `msg${m.internal ? ' internal' : ''}`, testid: 'transcript-message' },
      h('div', { class: 'meta' }, h('strong', {}, names.get(m.authorId) || m.authorType), h('span', {}, when(m.createdAt)),
        m.internal ? badge('internal note', 'internal') : null),
      h('div', { class: 'body' }, m.content)))),
    (tr.attachments || []).length
      ? h('p', { class: 'small' }, `Files: ${tr.attachments.map((a) => a.filename).join(', ')}`) : null,
    tr.events ? h('p', { class: 'small muted' }, `${tr.events.length} audit events recorded.`) : null);
}

/* ---- live ---- */
function notice(text) {
  const b = $('[data-testid=ticket-updated-notice]');
  b.textContent = text;
  b.hidden = false;
}

function live() {
  const b = $('[data-testid=ticket-updated-notice]');
  b.addEventListener('click', async () => {
    b.hidden = true;
    await load();
  });
  const types = ['ticket_updated', 'ticket_message_added', 'ticket_deleted'];
  if (staff) types.push('copilot_job_updated');
  follow('/api/events/stream', {
    query: { ticket: ticket.id, types: types.join(',') },
    /* What changed between the first read and the stream's start (a
     * copilot job that finished meanwhile, say) is read once more. */
    onFirstConnect: async () => {
      if (await load(true) && copilot) await copilot.load();
      document.body.dataset.synced = '1';     /* for scripts: the page is current */
    },
    onEvent: (type, data) => {
      if (type === 'copilot_job_updated') { if (copilot) copilot.onEvent(data); return; }
      if (type === 'ticket_deleted') { notice('This ticket was deleted by someone else.'); return; }
      own.news(data && data.id, () => notice('Updated by someone else — reload'));
    },
    onReset: () => notice('Updated by someone else — reload'),
  });
}

/* ---- start ---- */
async function main() {
  if (!ref) {
    unavailable({ status: 404 });
    return;
  }
  if (me.role === 'admin') {
    try {
      staffUsers = (await api.get('/api/users', { limit: 100 })).data;
    } catch { staffUsers = []; }
  }
  if (!await load()) return;
  replyForm();
  uploadForm();
  if (staff) {
    copilot = copilotPanel({
      ticket,
      onUseReply: replyInput ? (text) => { replyInput.value = text; replyInput.focus(); } : null,
    });
    $('#copilot-slot').append(copilot.el);
    copilot.load();
  }
  live();
}

main();
