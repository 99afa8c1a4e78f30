/* tickets.js: the ticket list (tickets.html) for staff.
 *
 * Every filter, sort and paging option of GET /api/tickets, and ranked
 * search (GET /api/tickets/search), kept in the page's query string so a
 * reload or a shared link shows the same list.  /api/sse/tickets feeds the
 * "New updates" badge: it lights when someone else creates, changes or
 * deletes a ticket (this page's own writes are not news), and a click on
 * it reloads the list.  The new-ticket form comes back empty after a
 * create. */
import { api } from './api.js';
import { h, fill, $, shell, badge, when, field, select, toast, ticketHref, priorityBadge, pageSummary, pager } from './ui.js';
import { OwnWrites, follow } from './stream.js';
import { STATUSES, PRIORITIES, SOURCES, TICKET_SORTS, canWrite, splitList } from './model.js';

const me = await shell(['admin', 'agent', 'viewer']);
const own = new OwnWrites();
const FILTERS = ['q', 'status', 'priority', 'source', 'productArea', 'category', 'tag',
  'assigneeId', 'createdFrom', 'createdTo', 'sort', 'limit'];
let state = Object.fromEntries(new URLSearchParams(location.search));
state.offset = Number(state.offset || 0);

/* ---- filters ---- */
function filterForm() {
  const f = $('#filters');
  const ctl = {
    q: h('input', { name: 'q', type: 'search', placeholder: 'words in title or description' }),
    ranked: h('input', { name: 'ranked', type: 'checkbox' }),
    status: select(['', ...STATUSES], { name: 'status' }),
    priority: select(['', ...PRIORITIES], { name: 'priority' }),
    source: select(['', ...SOURCES], { name: 'source' }),
    productArea: h('input', { name: 'productArea' }),
    category: h('input', { name: 'category' }),
    tag: h('input', { name: 'tag' }),
    assigneeId: select([['', 'anyone'], ['none', 'unassigned'], [me.id, 'me']], { name: 'assigneeId' }),
    createdFrom: h('input', { name: 'createdFrom', type: 'date' }),
    createdTo: h('input', { name: 'createdTo', type: 'date' }),
    sort: select(TICKET_SORTS, { name: 'sort' }),
    limit: select([['20', '20'], ['50', '50'], ['100', '100']], { name: 'limit' }),
  };
  for (const [k, el] of Object.entries(ctl)) {
    if (k === 'ranked') el.checked = state.ranked === '1';
    else if (state[k]) el.value = k.startsWith('created') ? state[k].slice(0, 10) : state[k];
  }
  fill(f,
    h('div', { class: 'field', style: 'flex: 2 1 220px' }, h('label', { for: 'f-q' }, 'Search'),
      Object.assign(ctl.q, { id: 'f-q', style: 'width: 100%' })),
    h('div', { class: 'field' }, h('label', { for: 'f-ranked' }, 'Rank by relevance'),
      Object.assign(ctl.ranked, { id: 'f-ranked' })),
    field('Status', ctl.status), field('Priority', ctl.priority), field('Source', ctl.source),
    field('Product area', ctl.productArea), field('Category', ctl.category), field('Tag', ctl.tag),
    field('Assignee', ctl.assigneeId), field('Created from', ctl.createdFrom),
    field('Created before', ctl.createdTo), field('Sort', ctl.sort), field('Per page', ctl.limit),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('button', { type: 'reset' }, 'Clear'));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    state = { offset: 0 };
    for (const [k, el] of Object.entries(ctl)) {
      if (k === 'ranked') { if (el.checked) state.ranked = '1'; continue; }
      if (el.value) state[k] = k.startsWith('created') ? `${el.value}T00:00:00Z` : el.value;
    }
    load();
  });
  f.addEventListener('reset', () => { state = { offset: 0 }; setTimeout(load); });
}

/* ---- the list ---- */
function query() {
  const q = { offset: state.offset || undefined };
  if (state.ranked === '1' && state.q) {
    return ['/api/tickets/search', { query: state.q, limit: state.limit, offset: q.offset }];
  }
  for (const k of FILTERS) if (state[k]) q[k] = state[k];
  return ['/api/tickets', q];
}

function row(t) {
  const open = () => { location.href = ticketHref(t.key); };
  return h('tr', { class: 'clickable', testid: 'ticket-row', 'data-ticket-key': t.key, onclick: open },
    h('td', {}, h('a', { href: ticketHref(t.key) }, t.key)),
    h('td', {}, t.title, t.tags && t.tags.length ? h('div', { class: 'small muted' }, t.tags.join(', ')) : null),
    h('td', {}, badge(t.status)),
    h('td', {}, priorityBadge(t.priority)),
    h('td', { class: 'small' }, t.source),
    h('td', { class: 'small' }, when(t.updatedAt)));
}

let loads = 0;
let news = 0;           /* other people's changes seen so far */

/* The list as the filters say; an answer that comes after a newer
 * request's (fast paging, say) is dropped, and the badge stays lit for
 * news that came while the list was being read. */
async function load() {
  const seq = ++loads;
  const newsBefore = news;
  const [path, q] = query();
  const url = new URLSearchParams(Object.entries(state).filter(([, v]) => v !== '' && v !== 0 && v !== undefined));
  history.replaceState(null, '', url.toString() ? `?${url}` : location.pathname);
  let page;
  try {
    page = await api.get(path, q);
  } catch {
    return;
  }
  if (seq !== loads) return;
  if (news === newsBefore) $('[data-testid=new-updates-badge]').hidden = true;
  fill($('#list'),
    h('thead', {}, h('tr', {}, ['Key', 'Title', 'Status', 'Priority', 'Source', 'Updated'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, page.data.map(row)));
  fill($('#summary'), pageSummary('Tickets', page) || 'No tickets match.');
  fill($('#pager'), pager(page, (offset) => { state.offset = offset; load(); }));
}

/* ---- new ticket ---- */
function createForm() {
  const form = $('#new-ticket');
  if (!canWrite(me)) {
    fill($('#create'), h('h2', {}, 'New ticket'), h('p', { class: 'muted' }, 'Viewers read tickets; agents and admins create them.'));
    return;
  }
  const title = h('input', { name: 'title', required: true, maxlength: 200, testid: 'new-ticket-title' });
  const description = h('textarea', { name: 'description', required: true, testid: 'new-ticket-description' });
  const priority = select(PRIORITIES, { name: 'priority' });
  priority.value = 'medium';
  const category = h('input', { name: 'category' });
  const productArea = h('input', { name: 'productArea' });
  const tags = h('input', { name: 'tags', placeholder: 'comma separated' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'new-ticket-submit' }, 'Create ticket');
  fill(form, field('Title', title), field('Description', description), field('Priority', priority),
    field('Category', category), field('Product area', productArea), field('Tags', tags), submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { title: title.value, description: description.value, priority: priority.value };
    if (category.value.trim()) body.category = category.value.trim();
    if (productArea.value.trim()) body.productArea = productArea.value.trim();
    if (tags.value.trim()) body.tags = splitList(tags.value);
    submit.disabled = true;
    try {
      const t = (await own.track(api.post('/api/tickets', body), (r) => r.data.id)).data;
      form.reset();
      priority.value = 'medium';
      toast(`Created ${t.key}.`, 'ok');
      load();
    } catch { /* the toast said why */ } finally {
      submit.disabled = false;
      title.focus();
    }
  });
}

/* ---- live ---- */
function live() {
  const badgeEl = $('[data-testid=new-updates-badge]');
  badgeEl.addEventListener('click', () => load());
  follow('/api/sse/tickets', {
    /* what changed between the first read and the stream's start */
    onFirstConnect: load,
    onEvent: (type, data) => {
      const id = data && (data.id || data.ticketId);
      own.news(id, () => { news += 1; badgeEl.hidden = false; });
    },
    onReset: () => { news += 1; badgeEl.hidden = false; },
  });
}

filterForm();
createForm();
live();
load();
