/* ui.js: what every console page shares: building elements, toasts, the
 * theme toggle, the header (who am I, navigation, logout) and small
 * formatters.  Pages import what they need; nothing here talks to the API
 * except through api.js. */
import { api } from './api.js';

/* h('button', {class: 'primary', onclick: f}, 'Save'): an element with
 * attributes (on* as listeners, data-* and aria-* as attributes, a false
 * or null value leaves one out) and children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'testid') el.dataset.testid = v;
    else if (k in el && !k.includes('-') && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/* Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
export const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/* A message for people, bottom right, read out by screen readers. */
export function toast(message, kind = 'info', code = '') {
  let box = $('.toasts');
  if (!box) {
    box = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const t = h('div', { class: `toast ${kind}`, testid: 'toast' }, message,
    code ? h('span', { class: 'code' }, code) : null);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
  return t;
}

/* ---- theme: the system's preference until the toggle says otherwise ---- */
const THEME_KEY = 'tickets.theme';

function systemDark() {
  return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function currentTheme() {
  return document.documentElement.dataset.theme;
}

/* The theme toggle's choice, else the system's preference (followed as
 * it changes), as data-theme on <html>: the stylesheet's dark colours. */
export function applyStoredTheme() {
  const root = document.documentElement;
  const apply = () => {
    const t = localStorage.getItem(THEME_KEY);
    root.dataset.theme = t === 'dark' || t === 'light' ? t : (systemDark() ? 'dark' : 'light');
  };
  apply();
  if (window.matchMedia) window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', apply);
}

function themeButton() {
  const b = h('button', { type: 'button', testid: 'theme-toggle' });
  const label = () => {
    const dark = currentTheme() === 'dark';
    b.textContent = dark ? 'Light mode' : 'Dark mode';
    b.setAttribute('aria-pressed', String(dark));
  };
  b.addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem(THEME_KEY, next);
    label();
  });
  label();
  return b;
}

/* ---- the header ---- */
const STAFF_NAV = [
  ['tickets.html', 'Tickets'], ['inbox.html', 'Inbox'],
  ['chat.html', 'Assistant'], ['admin.html', 'Admin', 'admin'],
];
const CUSTOMER_NAV = [['support.html', 'My support']];

export function isStaff(me) { return me && me.role !== 'customer'; }

/* Sent on window before signing out (the page's streams stop). */
export const SIGN_OUT_EVENT = 'tickets:signout';

/* Set while this browser has a session (the cookie itself is HttpOnly). */
export const SIGNED_IN_KEY = 'tickets.signedIn';

/* To the sign-in page, which brings the visitor back here. */
export function toSignIn() {
  localStorage.removeItem(SIGNED_IN_KEY);
  const here = location.pathname.split('/').pop() + location.search + location.hash;
  location.replace(`index.html?next=${encodeURIComponent(here)}`);
}

/* Who is signed in, or a trip to the sign-in page (which brings the
 * visitor back here).  roles, when given, are the roles the page is for:
 * anyone else is sent to their own start page. */
export async function signedIn(roles) {
  let me;
  try {
    me = (await api.get('/api/auth/me', null, { quiet: true })).data;
  } catch (e) {
    if (e.status === 401) {
      toSignIn();
      return new Promise(() => {});
    }
    throw e;
  }
  if (roles && !roles.includes(me.role)) {
    location.replace(startPage(me));
    return new Promise(() => {});
  }
  return me;
}

export function startPage(me) {
  return me.role === 'customer' ? 'support.html' : 'tickets.html';
}

/* Renders the header into <header class="top"> and returns who is signed in. */
export async function shell(roles) {
  applyStoredTheme();
  const me = await signedIn(roles);
  const page = location.pathname.split('/').pop() || 'index.html';
  const items = (isStaff(me) ? STAFF_NAV : CUSTOMER_NAV)
    .filter(([, , role]) => !role || me.role === role);
  const nav = h('nav', { 'aria-label': 'Main' }, items.map(([href, text]) =>
    h('a', { href, 'aria-current': href === page ? 'page' : null }, text)));
  const logout = h('button', { type: 'button', testid: 'logout' }, 'Sign out');
  logout.addEventListener('click', async () => {
    localStorage.removeItem(SIGNED_IN_KEY);
    window.dispatchEvent(new Event(SIGN_OUT_EVENT));
    try { await api.post('/api/auth/logout'); } finally { location.replace('index.html'); }
  });
  let header = $('header.top');
  if (!header) {
    header = h('header', { class: 'top' });
    document.body.prepend(header);
  }
  fill(header,
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('span', { class: 'brand' }, 'mod_tickets'),
    nav,
    h('span', { class: 'who' },
      h('span', { testid: 'whoami' }, `${me.name || me.email} · ${me.role} · ${me.org ? me.org.name : ''}`),
      themeButton(), logout));
  return me;
}

/* ---- formatters ---- */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

export function badge(text, kind = text, testid) {
  return h('span', { class: `badge ${kind}`, testid }, String(text).replace(/_/g, ' '));
}

/* A list's summary ("Tickets 1–20 of 45") and its Previous / Next
 * buttons, for a page of the API {data, total, limit, offset}; go(offset)
 * shows another page. */
export function pageSummary(noun, page) {
  const last = page.offset + page.data.length;
  return page.total ? `${noun} ${page.offset + 1}–${last} of ${page.total}` : '';
}

export function pager(page, go) {
  const last = page.offset + page.data.length;
  const prev = h('button', { type: 'button', disabled: page.offset === 0 }, 'Previous');
  const next = h('button', { type: 'button', disabled: last >= page.total }, 'Next');
  prev.addEventListener('click', () => go(Math.max(0, page.offset - page.limit)));
  next.addEventListener('click', () => go(page.offset + page.limit));
  return [prev, next];
}

/* A ticket's page, and its priority as a badge (red when urgent). */
export const ticketHref = (key) => `ticket.html?id=${encodeURIComponent(key)}`;
export const priorityBadge = (p, testid) => badge(p, p === 'urgent' ? 'urgent' : '', testid);

/* The query string of the page as an object. */
export function pageParams() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

/* A labelled control: field('Title', input). */
export function field(labelText, control) {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, labelText), control);
}

/* A <select> of [value, text] pairs (or plain values). */
export function select(options, attrs = {}) {
  return h('select', attrs, options.map((o) => {
    const [v, t] = Array.isArray(o) ? o : [o, o === '' ? 'any' : String(o).replace(/_/g, ' ')];
    return h('option', { value: v }, t);
  }));
}

/* A button whose first click arms it ("Really …?") and second acts. */
export function confirmButton(label, attrs, act) {
  const b = h('button', { type: 'button', class: 'danger', ...attrs }, label);
  let timer = null;
  b.addEventListener('click', async () => {
    if (b.dataset.armed !== '1') {
      b.dataset.armed = '1';
      b.textContent = `Really ${label.toLowerCase()}?`;
      timer = setTimeout(() => { b.dataset.armed = ''; b.textContent = label; }, 5000);
      return;
    }
    clearTimeout(timer);
    b.dataset.armed = '';
    b.textContent = label;
    b.disabled = true;
    try { await act(); } finally { b.disabled = false; }
  });
  return b;
}

/* Puts text on the clipboard: the Clipboard API where the page may use
 * it, else a hidden textarea and the copy command. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { readonly: true, 'aria-hidden': 'true', style: 'position: fixed; left: -9999px' });
    const back = document.activeElement;      /* the keyboard user's place */
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    if (back && back.focus) back.focus();
    return ok;
  }
}
