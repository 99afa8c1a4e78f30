/* stream.js: a live event stream (mod_tickets_sse) that keeps itself open.
 *
 * EventSource retries at a fixed pace and gives up for good on an error
 * status (a 503 while the server restarts, say), so the consoles read the
 * stream with fetch() instead: on any end or failure they reconnect with
 * exponential backoff (0.5 s doubling to 30 s, with jitter) and send
 * Last-Event-ID, so the server replays every event missed in between
 * (docs/realtime.md, Resume).  A `reset` event (the missed events are gone
 * from the log) is handed to onReset: the page reloads its state.
 *
 * The state is one of connecting, connected, reconnecting and offline
 * (three failed attempts in a row, or the browser itself offline); a
 * connection indicator shows it (indicator() below).  A 401 means the
 * session ended: the stream stops and the visitor is sent to sign in. */
import { h, toSignIn, SIGN_OUT_EVENT } from './ui.js';

const BACKOFF_MIN = 500;
const BACKOFF_MAX = 30000;
const OFFLINE_AFTER = 3;
const HEALTHY_AFTER = 10000;

export class LiveStream {
  constructor(path, { query = {}, onEvent = () => {}, onState = () => {}, onReset = () => {} } = {}) {
    this.path = path;
    this.query = query;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onReset = onReset;
    this.lastId = null;
    this.failures = 0;
    this.state = 'connecting';
    this.stopped = true;
    this.timer = null;
    this.abort = null;
    this.busy = false;          /* a connection is open or being opened */
    this.retryMin = 0;          /* the server's retry: in ms */
    window.addEventListener('online', () => this.retryNow(true));
    window.addEventListener('offline', () => {
      if (this.abort) this.abort.abort();
      if (!this.stopped) this.setState('offline');
    });
    window.addEventListener('pagehide', () => this.stop());
    /* Signing out ends the session the stream runs on: stop first. */
    window.addEventListener(SIGN_OUT_EVENT, () => this.stop());
    /* Back to a page kept by the browser's back/forward cache. */
    window.addEventListener('pageshow', (e) => { if (e.persisted) this.start(); });
  }

  start() {
    if (!this.stopped) return this;
    this.stopped = false;
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.abort) this.abort.abort();
  }

  /* Try again at once; online: the network came back, so an attempt
   * still waiting on the old one is given up for a new one. */
  retryNow(online = false) {
    if (this.stopped || this.state === 'connected') return;
    if (this.busy) {
      if (online && this.abort) this.abort.abort();
      return;
    }
    this.failures = 0;
    this.connect();
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.onState(s);
  }

  url() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(this.query)) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `${this.path}?${s}` : this.path;
  }

  /* One connection, then the next one's turn after the backoff.  Only one
   * runs at a time (busy), whatever wakes it: the timer, the browser
   * coming online, or start(). */
  async connect() {
    if (this.stopped || this.busy) return;
    this.busy = true;
    clearTimeout(this.timer);
    this.abort = new AbortController();
    this.delivered = false;
    const headers = { Accept: 'text/event-stream' };
    if (this.lastId) headers['Last-Event-ID'] = this.lastId;
    let opened = 0;
    try {
      const res = await fetch(this.url(), { headers, credentials: 'same-origin', cache: 'no-store', signal: this.abort.signal });
      if (res.status === 401) {
        this.stop();
        this.setState('offline');
        toSignIn();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      opened = Date.now();
      this.setState('connected');
      await this.read(res.body.getReader());
    } catch {
      /* refused, unreachable, cut off or aborted: the backoff below */
    } finally {
      this.busy = false;
    }
    if (this.stopped) return;
    /* A stream that delivered events or stayed open a while was healthy:
     * the backoff starts again.  One that ends at once (a server that
     * accepts and closes) counts as a failure, so it is not hammered. */
    if (this.delivered || (opened && Date.now() - opened > HEALTHY_AFTER)) this.failures = 1;
    else this.failures += 1;
    this.setState(this.failures >= OFFLINE_AFTER || !navigator.onLine ? 'offline' : 'reconnecting');
    /* never sooner than the server's retry: (it spreads a restart's
     * reconnections) */
    const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** (this.failures - 1));
    const wait = Math.max(this.retryMin || 0, base / 2 + Math.random() * base / 2);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  /* The text/event-stream format: fields until an empty line, then the
   * event is dispatched; comment lines (keep-alives) start with ':'. */
  async read(reader) {
    const decoder = new TextDecoder();
    let buf = '';
    let ev = { id: undefined, type: 'message', data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.search(/[\r\n]/)) >= 0) {
        /* A CR at the end may be half of a CRLF: wait for the next chunk. */
        if (buf[nl] === '\r' && nl === buf.length - 1) break;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
        if (line === '') {
          this.dispatch(ev);
          ev = { id: undefined, type: 'message', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (name === 'id') ev.id = val;
        else if (name === 'event') ev.type = val;
        else if (name === 'data') ev.data.push(val);
        else if (name === 'retry' && /^\d+$/.test(val)) this.retryMin = Number(val);
      }
    }
  }

  dispatch(ev) {
    if (ev.id !== undefined) this.lastId = ev.id || null;
    if (!ev.data.length) return;
    this.delivered = true;
    let data;
    try { data = JSON.parse(ev.data.join('\n')); } catch { data = ev.data.join('\n'); }
    if (ev.type === 'reset') {
      this.lastId = null;
      this.onReset(data);
      return;
    }
    this.onEvent(ev.type, data, ev.id);
  }
}

/* The connection indicator: its text is the state (connected,
 * reconnecting, offline), its colour the badge of that state. */
export function indicator() {
  const el = h('span', { class: 'badge reconnecting', testid: 'connection-status', role: 'status', 'aria-live': 'polite', title: 'Live updates' }, 'connecting');
  el.update = (state) => {
    el.textContent = state;
    el.className = `badge ${state === 'connecting' ? 'reconnecting' : state}`;
  };
  return el;
}

/* What every page does: a stream of path with the page's connection
 * indicator in its #status-slot.  onFirstConnect runs once the stream
 * first connects (what happened before that is not replayed: a page
 * that loaded its state earlier reloads it then). */
export function follow(path, { query, onEvent, onReset, onFirstConnect } = {}) {
  const dot = indicator();
  const slot = document.querySelector('#status-slot');
  if (slot) slot.append(dot);
  let first = true;
  return new LiveStream(path, {
    query,
    onEvent,
    onReset,
    onState: (s) => {
      dot.update(s);
      if (s === 'connected' && first) {
        first = false;
        if (onFirstConnect) onFirstConnect();
      }
    },
  }).start();
}

/* Writes this page makes itself: the events they cause are not news to
 * it.  track(promise, idOf) wraps a write: the id of what it wrote is
 * expected once; events that come while a write is still under way wait
 * for it (the event of a create can arrive before its answer).
 * news(id, fn) calls fn unless the event is one of ours. */
export class OwnWrites {
  constructor(ttl = 10000) {
    this.ttl = ttl;
    this.pending = new Map();
    this.inflight = 0;
    this.deferred = [];
  }

  expect(id) {
    const list = this.pending.get(id) || [];
    list.push(Date.now() + this.ttl);
    this.pending.set(id, list);
  }

  async track(promise, idOf) {
    this.inflight += 1;
    try {
      const result = await promise;
      const id = idOf(result);
      if (id) this.expect(id);
      return result;
    } finally {
      this.inflight -= 1;
      if (!this.inflight) this.deferred.splice(0).forEach(([id, fn]) => this.news(id, fn));
    }
  }

  mine(id) {
    const now = Date.now();
    const list = (this.pending.get(id) || []).filter((t) => t > now);
    const found = list.length > 0;
    if (found) list.shift();
    if (list.length) this.pending.set(id, list); else this.pending.delete(id);
    return found;
  }

  news(id, fn) {
    if (this.inflight) this.deferred.push([id, fn]);
    else if (!this.mine(id)) fn();
  }
}
