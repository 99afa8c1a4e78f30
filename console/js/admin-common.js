/* admin-common.js: what the admin page's sections (admin-*.js) share: a
 * table of rows, the box that shows a secret the server gives only once,
 * and a labelled form built from controls (and ui.js's confirmButton). */
import { h, fill, field, confirmButton, copyText } from './ui.js';

/* A list table: heads are column titles, rows <tr> elements. */
export function table(heads, rows, emptyText = 'Nothing here yet.') {
  if (!rows.length) return h('p', { class: 'empty' }, emptyText);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, heads.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)));
}

/* A secret shown once: the text says it will not be shown again, and
 * the box can be dismissed (then it is gone from the page). */
export function onceBox(what, value, testid) {
  const box = h('div', { class: 'once', role: 'status', testid },
    h('p', { style: 'margin: 0 0 4px' }, h('strong', {}, `Copy the ${what} now: it is shown only this once. `),
      'The server keeps no readable copy and will never show it again.'),
    h('code', { testid: `${testid}-value` }, value), ' ');
  const copy = h('button', { type: 'button' }, 'Copy');
  copy.addEventListener('click', async () => { copy.textContent = await copyText(value) ? 'Copied' : 'Copy failed'; });
  const done = h('button', { type: 'button', testid: `${testid}-dismiss` }, 'I have copied it');
  /* Gone when dismissed, when another section is opened, when the page
   * is left, and after ten minutes in any case. */
  const remove = () => {
    box.remove();
    window.removeEventListener('hashchange', remove);
    window.removeEventListener('pagehide', remove);
    clearTimeout(timer);
  };
  const timer = setTimeout(remove, 600000);
  window.addEventListener('hashchange', remove);
  window.addEventListener('pagehide', remove);
  done.addEventListener('click', remove);
  box.append(copy, ' ', done);
  return box;
}

/* A form of [label, control] pairs and a submit button. */
export function form(pairs, submitText, onSubmit, attrs = {}) {
  const submit = h('button', { type: 'submit', class: 'primary' }, submitText);
  const f = h('form', { class: 'filters', ...attrs }, pairs.map(([l, c]) => field(l, c)), submit);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try { await onSubmit(f); } finally { submit.disabled = false; }
  });
  return f;
}

/* If-Match for a document carrying a version (its ETag is "v<version>"). */
export const ifMatch = (doc) => (doc && doc.version ? { 'If-Match': `"v${doc.version}"` } : {});

export { fill, h, confirmButton };
