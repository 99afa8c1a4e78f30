/* admin-ai.js: the admin page's AI usage against the monthly token
 * budget (/api/ai/usage, /api/ai/budget; docs/ai.md), and the figures of
 * the organization's jobs and event streams (/api/jobs/stats,
 * /api/events/stats).  Without a provider the AI endpoints answer 503
 * and the section says so in the server's words. */
import { api } from './api.js';
import { h, fill, toast } from './ui.js';
import { table, form } from './admin-common.js';

const fmt = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US'));

function figure(label, value, testid) {
  return h('div', { class: 'figure', testid, 'data-value': value === null || value === undefined ? '' : String(value) },
    h('strong', {}, fmt(value)), h('span', { class: 'small muted' }, label));
}

function breakdown(title, obj) {
  const rows = Object.entries(obj || {}).map(([k, v]) => h('tr', {}, h('td', {}, k),
    h('td', {}, fmt(v.calls)), h('td', {}, fmt(v.tokens ?? ((v.promptTokens || 0) + (v.completionTokens || 0))))));
  return h('div', {}, h('h4', {}, title), table(['', 'Calls', 'Tokens'], rows, 'None this month.'));
}

/* ---- AI usage and budget ---- */
async function loadUsage(slot, month) {
  let u;
  try { u = (await api.get('/api/ai/usage', { month }, { quiet: true })).data; } catch (e) {
    fill(slot, h('p', { class: 'empty' }, e.message));
    return;
  }
  const budget = u.budget && typeof u.budget === 'object' ? u.budget.monthlyTokens : u.budget;
  fill(slot, h('div', { class: 'figures' },
    figure('calls', u.calls, 'ai-calls'), figure('cached', u.cached, 'ai-cached'), figure('errors', u.errors, 'ai-errors'),
    figure('prompt tokens', u.promptTokens, 'ai-prompt'), figure('completion tokens', u.completionTokens, 'ai-completion'),
    figure('tokens', u.tokens, 'ai-tokens'), figure(budget ? 'monthly budget' : 'no budget set', budget ?? null, 'ai-usage-budget')),
  budget ? h('p', {}, h('label', { for: 'ai-meter' }, `${fmt(u.tokens)} of ${fmt(budget)} tokens used in ${u.month}`),
    h('meter', { id: 'ai-meter', min: 0, max: budget, value: Math.min(u.tokens, budget), high: budget * 0.8 })) : null,
  h('div', { class: 'grid halves' }, breakdown('By purpose', u.byPurpose), breakdown('By model', u.byModel)));
}

async function loadBudget(slot, onSaved) {
  let b;
  try { b = (await api.get('/api/ai/budget', null, { quiet: true })).data; } catch (e) {
    fill(slot, h('p', { class: 'empty' }, e.message));
    return;
  }
  const amount = h('input', { type: 'number', min: 1, testid: 'ai-budget-input', value: b.monthlyTokens ?? '', placeholder: 'no limit' });
  const f = form([['Monthly token budget (empty: no limit)', amount]], 'Save budget', async () => {
    const monthlyTokens = amount.value === '' ? null : Number(amount.value);
    try { await api.put('/api/ai/budget', { monthlyTokens }); } catch { return; }
    toast(monthlyTokens === null ? 'The budget is lifted.' : `The budget is ${fmt(monthlyTokens)} tokens a month.`, 'ok');
    loadBudget(slot, onSaved);
    onSaved();
  }, { testid: 'ai-budget-form' });
  fill(slot, h('p', { testid: 'ai-budget-now', 'data-monthly': b.monthlyTokens ?? '', 'data-used': b.usedThisMonth },
    b.monthlyTokens === null ? 'No budget: calls are not limited. ' : `Budget: ${fmt(b.monthlyTokens)} tokens a month. `,
    `Used this month: ${fmt(b.usedThisMonth)}.`), f);
}

export function mountAi(section) {
  const usage = h('div', { class: 'panel', testid: 'ai-usage' });
  const budget = h('div', { class: 'panel', testid: 'ai-budget' });
  const month = h('input', { type: 'month', testid: 'ai-month', value: new Date().toISOString().slice(0, 7) });
  const body = h('div', {});
  const refresh = () => loadUsage(body, month.value);
  month.addEventListener('change', refresh);
  usage.append(h('div', { class: 'row', style: 'justify-content: space-between' }, h('h3', {}, 'Usage'),
    h('div', { class: 'field' }, h('label', { for: 'ai-month-in' }, 'Month'), Object.assign(month, { id: 'ai-month-in' }))), body);
  section.append(h('div', { class: 'grid two' }, usage, h('div', {}, h('h3', { class: 'sr-only' }, 'Budget'), budget)));
  refresh();
  loadBudget(budget, refresh);
}

/* ---- jobs and streams ---- */
async function loadFigures(jobs, streams) {
  try {
    const j = (await api.get('/api/jobs/stats')).data;
    const states = Object.keys(j.total);
    fill(jobs, h('h3', {}, 'Jobs'), h('div', { class: 'figures' }, states.map((s) => figure(s, j.total[s], `jobs-${s}`))),
      table(['Kind', ...states], Object.entries(j.kinds).map(([k, v]) => h('tr', { 'data-kind': k },
        h('td', {}, k), states.map((s) => h('td', {}, fmt(v[s])))))));
  } catch { /* the toast said why */ }
  try {
    const s = (await api.get('/api/events/stats')).data;
    fill(streams, h('h3', {}, 'Event streams'), h('div', { class: 'figures' },
      figure('streams open', s.streamsOpen, 'streams-open'), figure('users streaming', s.usersStreaming, 'users-streaming')));
  } catch { /* the toast said why */ }
}

export function mountFigures(section) {
  const jobs = h('div', { class: 'panel', testid: 'job-stats' });
  const streams = h('div', { class: 'panel', testid: 'stream-stats' });
  const refresh = h('button', { type: 'button', testid: 'figures-refresh' }, 'Refresh figures');
  refresh.addEventListener('click', () => loadFigures(jobs, streams));
  section.append(h('p', { class: 'small muted' }, 'This organization\u2019s figures as the server counts them now. ', refresh),
    h('div', { class: 'grid halves' }, jobs, streams));
  loadFigures(jobs, streams);
}
