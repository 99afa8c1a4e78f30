/* admin-customers.js: the admin page's customers (/api/customers): list
 * and search, create, edit and delete; customer_created, _updated and
 * _deleted events from other sessions update the list as they happen
 * (this page's own writes are not news, OwnWrites). */
import { api } from './api.js';
import { h, fill, when, toast } from './ui.js';
import { OwnWrites } from './stream.js';
import { splitList } from './model.js';
import { table, form, confirmButton, ifMatch } from './admin-common.js';

const own = new OwnWrites();
let root;
let query = '';
let shown = new Map();        /* id -> customer, as listed */

const FIELDS = [['name', 'Name'], ['email', 'Email'], ['phone', 'Phone'], ['notes', 'Notes']];

function bodyOf(ctl, creating) {
  const body = {};
  for (const [k] of FIELDS) {
    const v = ctl[k].value.trim();
    if (v || k === 'name') body[k] = v;
    else if (!creating) body[k] = null;
  }
  body.tags = splitList(ctl.tags.value);
  return body;
}

function controls(c = {}, prefix = 'customer') {
  const ctl = {};
  for (const [k] of FIELDS) ctl[k] = h('input', { testid: `${prefix}-${k}`, value: c[k] || '', required: k === 'name' });
  ctl.tags = h('input', { testid: `${prefix}-tags`, value: (c.tags || []).join(', '), placeholder: 'comma separated' });
  return ctl;
}

const pairsOf = (ctl) => [...FIELDS.map(([k, l]) => [l, ctl[k]]), ['Tags', ctl.tags]];

function editRow(c, tr) {
  const ctl = controls(c, 'customer-edit');
  const f = form(pairsOf(ctl), 'Save', async () => {
    try {
      await own.track(api.patch(`/api/customers/${c.id}`, bodyOf(ctl, false), { headers: ifMatch(c) }), (r) => r.data.id);
    } catch { return; }
    toast(`${ctl.name.value} saved.`, 'ok');
    load();
  }, { testid: 'customer-edit-form' });
  const cancel = h('button', { type: 'button' }, 'Cancel');
  cancel.addEventListener('click', load);
  f.append(cancel);
  tr.replaceChildren(h('td', { colspan: 6 }, f));
}

function row(c) {
  const tr = h('tr', { testid: 'customer-row', 'data-customer-id': c.id });
  const edit = h('button', { type: 'button', testid: 'customer-edit' }, 'Edit');
  edit.addEventListener('click', () => editRow(c, tr));
  const del = confirmButton('Delete', { testid: 'customer-delete' }, async () => {
    try { await own.track(api.del(`/api/customers/${c.id}`), () => c.id); } catch { return; }
    toast(`${c.name} deleted.`, 'ok');
    load();
  });
  tr.append(h('td', {}, c.name), h('td', {}, c.email || ''), h('td', {}, c.phone || ''),
    h('td', { class: 'small' }, (c.tags || []).join(', ')), h('td', { class: 'small' }, when(c.updatedAt)),
    h('td', {}, h('div', { class: 'row' }, edit, del)));
  return tr;
}

async function load() {
  let page;
  try { page = await api.get('/api/customers', { q: query, limit: 100, sort: '-updatedAt' }); } catch { return; }
  shown = new Map(page.data.map((c) => [c.id, c]));
  fill(root.querySelector('.list-slot'),
    h('p', { class: 'small muted', 'aria-live': 'polite' }, `${page.total} customer${page.total === 1 ? '' : 's'}`),
    table(['Name', 'Email', 'Phone', 'Tags', 'Updated', ''], page.data.map(row), 'No customers match.'));
}

/* A change from elsewhere: the list is read again (unless a row is
 * being edited, which a reload would throw away). */
export function customerEvent(type, data) {
  const id = data && data.id;
  own.news(id, () => {
    if (root.querySelector('[data-testid=customer-edit-form]')) {
      toast('Customers changed elsewhere; the list refreshes after your edit.', 'info');
      return;
    }
    load();
  });
}

export function mountCustomers(section) {
  root = section;
  const ctl = controls();
  const create = form(pairsOf(ctl), 'Create customer', async (f) => {
    try { await own.track(api.post('/api/customers', bodyOf(ctl, true)), (r) => r.data.id); } catch { return; }
    toast(`${ctl.name.value} created.`, 'ok');
    f.reset();
    load();
  }, { testid: 'customer-create' });
  const q = h('input', { type: 'search', testid: 'customer-search', placeholder: 'name, email, phone or platform id' });
  const search = form([['Search', q]], 'Search', async () => { query = q.value.trim(); await load(); });
  section.append(h('div', { class: 'panel' }, h('h3', {}, 'New customer'), create),
    h('div', { class: 'panel' }, search, h('div', { class: 'list-slot' })));
  load();
}

export const customersShown = () => shown;
