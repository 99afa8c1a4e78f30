/* copilot.js: the AI copilot panel of a ticket (seed document 003), for
 * staff.
 *
 * Its buttons start the jobs of POST /api/copilot/v1/:action (analyze,
 * suggest, draft-reply with a tone, chat with a question); the server
 * answers at once with a suggestion id in state queued.  From then on the
 * panel follows the job through the copilot_job_updated events of the
 * ticket's live stream (the page hands them to onEvent): never by polling.
 * The badge shows queued, running, complete or error; a finished job's
 * answer is rendered for its kind, with "Copy JSON", and a draft reply
 * can be put into the reply box.  On load the ticket's newest suggestion
 * is shown (GET /api/tickets/:id/suggestions). */
import { api } from './api.js';
import { h, fill, badge, field, select, toast, when, copyText } from './ui.js';

export const TONES = ['professional', 'friendly', 'empathetic', 'concise', 'formal'];

/* The API's states as the badge names them. */
const LABEL = { queued: 'queued', running: 'running', success: 'complete', error: 'error' };
const RANK = { queued: 0, running: 1, success: 2, error: 2 };
const SENTIMENT = { positive: 'complete', neutral: 'info', negative: 'error' };

const finished = (s) => s && (s.state === 'success' || s.state === 'error');

function analysisView(c) {
  return h('div', {},
    h('h3', {}, 'Summary'),
    h('p', { testid: 'analysis-summary' }, c.summary),
    h('p', { class: 'row', style: 'align-items: center' },
      h('span', { class: 'small muted' }, 'Sentiment'), badge(c.sentiment, SENTIMENT[c.sentiment] || '', 'analysis-sentiment'),
      h('span', { class: 'small muted' }, 'Category'), h('span', { testid: 'analysis-category' }, c.category),
      c.urgency ? [h('span', { class: 'small muted' }, 'Urgency'), h('span', { testid: 'analysis-urgency' }, c.urgency)] : null),
    c.suggestedActions && c.suggestedActions.length
      ? [h('h3', {}, 'Suggested actions'), h('ul', { testid: 'analysis-actions' }, c.suggestedActions.map((a) => h('li', {}, a)))]
      : null);
}

function stepsView(c) {
  return h('div', {}, h('h3', {}, 'Next steps'),
    h('ol', { testid: 'suggestion-steps' }, (c.steps || []).map((s) => h('li', {}, s))));
}

function draftView(c, onUseReply) {
  return h('div', {},
    h('h3', {}, `Draft reply${c.tone ? ` (${c.tone})` : ''}`),
    h('pre', { class: 'msg', testid: 'draft-reply' }, c.reply),
    onUseReply ? h('button', { type: 'button', class: 'primary', testid: 'use-draft', onclick: () => onUseReply(c.reply) }, 'Use as reply') : null);
}

function chatView(c, s) {
  const q = s.request && s.request.message;
  return h('div', {},
    q ? h('p', { class: 'small muted' }, `You asked: ${q}`) : null,
    h('p', { testid: 'chat-answer' }, c.answer));
}

function resultView(s, onUseReply) {
  const c = s.content || {};
  if (s.kind === 'analysis') return analysisView(c);
  if (s.kind === 'next_steps') return stepsView(c);
  if (s.kind === 'draft_reply') return draftView(c, onUseReply);
  if (s.kind === 'chat') return chatView(c, s);
  return h('pre', {}, JSON.stringify(c, null, 2));
}

/* copilotPanel({ticket, onUseReply}) -> {el, onEvent(suggestion), load()}.
 * onUseReply(text), when given, is offered for draft replies. */
export function copilotPanel({ ticket, onUseReply }) {
  let current = null;
  const latest = new Map();          /* suggestion id -> its newest state */
  let wanted = null;                 /* the suggestion this page started last */
  const state = h('span', { class: 'badge', testid: 'copilot-state', role: 'status', 'aria-live': 'polite', hidden: true });
  const what = h('span', { class: 'small muted' });
  const error = h('p', { class: 'copilot-error', testid: 'copilot-error', role: 'alert', hidden: true });
  const result = h('div', { class: 'copilot-result', testid: 'copilot-result' });
  const copy = h('button', { type: 'button', testid: 'copy-json', hidden: true }, 'Copy JSON');
  const tone = select(TONES, { name: 'tone', testid: 'draft-tone' });
  const question = h('input', { name: 'question', maxlength: 1000, placeholder: 'Ask about this ticket', testid: 'copilot-question' });
  const buttons = [];

  function render() {
    if (!current) return;
    state.hidden = false;
    state.textContent = LABEL[current.state] || current.state;
    state.className = `badge ${LABEL[current.state] || ''}`;
    what.textContent = `${current.kind ? current.kind.replace(/_/g, ' ') : ''}${current.updatedAt ? ` · ${when(current.updatedAt)}` : ''}`;
    error.hidden = current.state !== 'error';
    error.textContent = current.state === 'error' ? (current.error || 'The job failed.') : '';
    if (current.state === 'success') fill(result, resultView(current, onUseReply));
    else fill(result, current.state === 'error' ? null : h('p', { class: 'muted small' }, 'Working on it…'));
    copy.hidden = current.state !== 'success';
  }

  /* A state of a suggestion, from the POST's answer, an event or the
   * list.  The newest state of each is kept (a replay, or an answer that
   * came after its events, never replaces a newer one).  Another
   * suggestion takes the panel only once the one shown has finished;
   * once this page has started one (mine), only that one: its newest state
   * so far is shown, even one whose event came before the answer. */
  function show(s, mine = false) {
    if (!s || !s.id || s.ticketId && s.ticketId !== ticket.id) return;
    const prev = latest.get(s.id);
    const newer = !prev || (RANK[s.state] ?? 0) >= (RANK[prev.state] ?? 0);
    const doc = newer ? { ...prev, ...s } : { ...s, ...prev };
    latest.set(s.id, doc);
    if (mine) wanted = s.id;
    /* once this page started one, only that one is followed */
    if (current && s.id !== current.id && (wanted ? s.id !== wanted : !finished(current))) return;
    if (current && s.id === current.id && !newer) return;
    current = doc;
    render();
  }

  async function start(action, body) {
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const doc = (await api.post(`/api/copilot/v1/${action}`, { ticketId: ticket.id, ...body })).data;
      show({ id: doc.suggestionId, state: doc.state, kind: doc.kind, ticketId: doc.ticketId, request: body }, true);
    } catch { /* the toast said why */ } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  function button(text, testid, onclick) {
    const b = h('button', { type: 'button', testid, onclick }, text);
    buttons.push(b);
    return b;
  }

  copy.addEventListener('click', async () => {
    const ok = await copyText(JSON.stringify(current && current.content, null, 2));
    toast(ok ? 'The JSON is on the clipboard.' : 'The browser did not allow copying.', ok ? 'ok' : 'error');
  });

  const ask = h('form', { class: 'row', onsubmit: (ev) => {
    ev.preventDefault();
    start('chat', { message: question.value });
    question.value = '';
  } }, h('div', { class: 'field', style: 'flex: 1 1 180px' }, h('label', { for: 'copilot-q' }, 'Ask the copilot'),
    Object.assign(question, { id: 'copilot-q' })),
  (() => { const b = h('button', { type: 'submit', testid: 'ask-button' }, 'Ask'); buttons.push(b); return b; })());

  const el = h('section', { class: 'panel', testid: 'copilot-panel', 'aria-labelledby': 'copilot-h' },
    h('div', { class: 'row', style: 'align-items: center; justify-content: space-between' },
      h('h2', { id: 'copilot-h', style: 'margin: 0' }, 'Copilot'),
      h('span', { class: 'row', style: 'align-items: center' }, what, state)),
    h('div', { class: 'row', style: 'margin: 8px 0' },
      button('Analyze', 'analyze-button', () => start('analyze', {})),
      button('Suggest next steps', 'suggest-button', () => start('suggest', {}))),
    h('div', { class: 'row', style: 'margin-bottom: 8px' },
      field('Tone', tone),
      button('Draft reply', 'draft-reply-button', () => start('draft-reply', { tone: tone.value }))),
    ask, error, result, copy);

  async function load() {
    try {
      const list = await api.get(`/api/tickets/${ticket.id}/suggestions`, { limit: 1 });
      if (list.data.length) show(list.data[0]);
    } catch { /* the toast said why */ }
  }

  return { el, onEvent: show, load };
}
