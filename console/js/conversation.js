/* conversation.js: a conversation's thread, as the inbox (staff) and the
 * support page (customers) show it.
 *
 * A conversation's messages come from three places: the thread read with
 * GET /api/conversations/:id/messages, the answers of this page's own
 * writes (a reply, a retry), and live events (new_message, message_sent).
 * Events arrive in commit order and always win; a snapshot or an answer
 * may be older than what an event already told, so it is taken only when
 * it is not behind (fresher() below).  threadView() draws the messages,
 * with each outbound reply's delivery state for staff. */
import { api } from './api.js';
import { h, badge, when } from './ui.js';

/* The newest messages of a thread: the API pages oldest first, at most
 * 100 a page, so a longer thread is read from its last page. */
export const THREAD_PAGE = 100;

export async function fetchThread(conversationId, opts = {}) {
  const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages`;
  let page = await api.get(path, { limit: THREAD_PAGE }, opts);
  if (page.total > page.data.length) {
    page = await api.get(path, { limit: THREAD_PAGE, offset: page.total - THREAD_PAGE }, opts);
  }
  return { messages: page.data, older: Math.max(0, page.total - page.data.length) };
}

/* Is inc (from a snapshot or an answer) not behind cur?  Each delivery
 * attempt adds one to attempts; the only move that keeps the count is a
 * retry (failed -> pending), so a failed at the count of a pending one is
 * the older of the two. */
export function fresher(inc, cur) {
  if (!cur) return true;
  const a = inc.attempts || 0;
  const b = cur.attempts || 0;
  if (a !== b) return a > b;
  return !(cur.status === 'pending' && inc.status === 'failed');
}

/* The messages of one conversation, in thread order, keyed by id. */
export class MessageStore {
  constructor(onChange = () => {}) {
    this.onChange = onChange;
    this.clear(null);
  }

  clear(conversationId) {
    this.conversationId = conversationId;
    this.byId = new Map();
    this.order = [];
    this.older = 0;
  }

  has(id) { return this.byId.has(id); }

  all() { return this.order.map((id) => this.byId.get(id)); }

  put(m) {
    if (!this.byId.has(m.id)) this.order.push(m.id);
    this.byId.set(m.id, m);
  }

  /* A snapshot of the thread (messages oldest first). */
  load(messages, older = 0) {
    const seen = this.byId;
    this.byId = new Map();
    this.order = [];
    this.older = older;
    for (const m of messages) {
      const cur = seen.get(m.id);
      this.put(cur && !fresher(m, cur) ? cur : m);
    }
    /* Events that came while the snapshot was read: newer than its end. */
    const end = messages.length ? Date.parse(messages[messages.length - 1].sentAt) : 0;
    for (const [id, m] of seen) {
      if (!this.byId.has(id) && m.conversationId === this.conversationId && Date.parse(m.sentAt) >= end) this.put(m);
    }
    this.onChange();
  }

  /* A live event's message: always the latest word. */
  event(m) {
    if (!m || m.conversationId !== this.conversationId) return false;
    this.put(m);
    this.onChange();
    return true;
  }

  /* The answer of one of this page's writes. */
  answer(m) {
    if (!m || m.conversationId !== this.conversationId) return;
    if (fresher(m, this.byId.get(m.id))) this.put(m);
    this.onChange();
  }

  last() { return this.order.length ? this.byId.get(this.order[this.order.length - 1]) : null; }
}

export const SENDER_LABEL = { customer: 'Customer', agent: 'Agent', ai: 'AI assistant', system: 'System' };

/* Replies that go out to the customer, and so have a delivery state. */
export const isOutbound = (m) => m.sender === 'agent' || m.sender === 'ai';

function deliveryView(m, onRetry) {
  const parts = [badge(m.status, m.status, 'delivery-status')];
  if (m.status === 'pending' && m.lastError) {
    parts.push(h('span', { class: 'small muted' }, `retrying: ${m.lastError}`));
  }
  if (m.status === 'failed') {
    parts.push(h('span', { class: 'small delivery-error', testid: 'delivery-error' }, m.lastError || 'The delivery failed.'));
    if (onRetry) {
      parts.push(h('button', {
        type: 'button', class: 'link', testid: 'retry-button', title: 'Send this reply again',
        onclick: () => onRetry(m),
      }, 'Retry'));
    }
  }
  return parts;
}

/* One message.  opts: viewer 'staff' | 'customer' (whose side is "mine"),
 * testid (the hook of each message), onRetry (staff: a failed reply's
 * Retry button), names (authorId -> name). */
export function messageView(m, opts = {}) {
  const staff = opts.viewer === 'staff';
  const mine = staff ? m.sender === 'agent' : m.sender === 'customer';
  const cls = ['msg', mine ? 'mine' : '', m.sender === 'ai' ? 'ai' : '', m.sender === 'system' ? 'system' : '']
    .filter(Boolean).join(' ');
  const who = (opts.names && m.authorId && opts.names[m.authorId]) || SENDER_LABEL[m.sender] || m.sender;
  return h('article', {
    class: cls, testid: opts.testid || 'message', 'data-message-id': m.id, 'data-sender': m.sender,
    'aria-label': `${who}, ${when(m.sentAt)}`,
  },
  h('div', { class: 'meta' },
    h('strong', {}, who),
    h('time', { datetime: m.sentAt }, when(m.sentAt)),
    staff && isOutbound(m) ? deliveryView(m, opts.onRetry) : null),
  h('div', { class: 'body' }, m.content));
}

/* The whole thread, with a note when older messages are left out. */
export function threadView(store, opts = {}) {
  const items = store.all().map((m) => messageView(m, opts));
  return [
    store.older ? h('p', { class: 'small muted' }, `${store.older} older messages are not shown.`) : null,
    items.length ? items : h('p', { class: 'empty' }, opts.emptyText || 'No messages yet.'),
  ];
}

/* Keeps a scrolling thread at its newest message when it was there. */
export function keepAtBottom(el, draw) {
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  draw();
  if (atBottom) el.scrollTop = el.scrollHeight;
}
