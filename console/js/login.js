/* login.js: the sign-in page (index.html).  A signed-in visitor goes on
 * at once; a sign-in sets the session cookie (POST /api/auth/login) and
 * goes to the page asked for (?next=) or the role's start page. */
import { api } from './api.js';
import { applyStoredTheme, startPage, $, SIGNED_IN_KEY } from './ui.js';

applyStoredTheme();

/* Only a page of the consoles, never another site. */
function nextPage() {
  const next = new URLSearchParams(location.search).get('next') || '';
  return /^[a-z]+\.html(\?[^/#]*)?(#[a-z-]+)?$/.test(next) ? next : null;
}

async function goOn(me) {
  location.replace(nextPage() || startPage(me));
}

/* Asked only when this browser signed in before (ui.js keeps the mark),
 * so a first visit makes no request that fails. */
if (localStorage.getItem(SIGNED_IN_KEY)) {
  try {
    const me = (await api.get('/api/auth/me', null, { quiet: true })).data;
    await goOn(me);
  } catch {
    localStorage.removeItem(SIGNED_IN_KEY);
  }
}

$('#login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const button = $('[data-testid=login-submit]');
  button.disabled = true;
  try {
    const me = (await api.post('/api/auth/login', {
      email: $('#email').value.trim(), password: $('#password').value,
    })).data;
    localStorage.setItem(SIGNED_IN_KEY, '1');
    await goOn(me);
  } catch {
    $('#password').select();
  } finally {
    button.disabled = false;
  }
});
