// driver.mjs: Debian's chromium, driven by playwright-core, for the
// Python browser tests (tests/integration/browser.py).
//
// One process per test session.  It reads one JSON command per line on
// stdin and answers one JSON line on stdout:
//   {"id": n, "op": "...", ...}  ->  {"id": n, "ok": true, "value": ...}
//                                 or {"id": n, "ok": false, "error": "..."}
// A selector that matches several elements acts on the first.
// Ops: context (a new browser context: cookies of its own; viewport,
//      colorScheme), page (a new page in a context), close (a context),
//      goto, call (a method of a Playwright Locator: click, fill, press,
//      textContent, innerText, count, getAttribute, isVisible, waitFor,
//      setInputFiles, selectOption, check, inputValue, allTextContents),
//      block and unblock (requests to a URL pattern fail, then pass
//      again), key (a key pressed on whatever has the focus), eval (a function
//      body run in the page), wait_for (until a function
//      body returns truthy), screenshot, problems (console errors, page
//      errors, failed requests and 4xx/5xx answers seen since the last
//      ask), quit.
// Every wait is bounded: the default timeout is 10 s.
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.BROWSER_TIMEOUT_MS || 10000);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});

const contexts = new Map();
const pages = new Map();
let next = 1;

function watch(page, problems) {
  // Chromium also logs "Failed to load resource" for every error answer
  // and failed request: those are recorded below, with their URL and
  // method, so the duplicate is left out.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push({ kind: 'console', text: m.text(), url: page.url() });
  });
  page.on('pageerror', (e) => problems.push({ kind: 'pageerror', text: String(e), url: page.url() }));
  // A request the page itself gave up (an event stream stopped as the
  // page is left, a navigation) is net::ERR_ABORTED: not a failure.
  page.on('requestfailed', (r) => {
    const text = (r.failure() || {}).errorText || 'failed';
    if (text !== 'net::ERR_ABORTED') problems.push({ kind: 'requestfailed', text, url: r.url(), method: r.method() });
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push({ kind: 'status', status: r.status(), url: r.url(), method: r.request().method() });
  });
}

const ops = {
  async context(c) {
    const ctx = await browser.newContext({
      baseURL: c.base,
      viewport: c.viewport || { width: 1280, height: 800 },
      colorScheme: c.colorScheme || 'light',
      acceptDownloads: true,
    });
    ctx.setDefaultTimeout(TIMEOUT);
    const id = next++;
    contexts.set(id, ctx);
    return id;
  },
  async page(c) {
    const page = await contexts.get(c.context).newPage();
    const problems = [];
    watch(page, problems);
    const id = next++;
    pages.set(id, { page, problems });
    return id;
  },
  async close(c) {
    const ctx = contexts.get(c.context);
    contexts.delete(c.context);
    for (const [id, p] of pages) if (p.page.context() === ctx) pages.delete(id);
    await ctx.close();
    return null;
  },
  async goto(c) {
    const { page } = pages.get(c.page);
    const res = await page.goto(c.url, { waitUntil: 'load' });
    return res ? res.status() : null;
  },
  async call(c) {
    const { page } = pages.get(c.page);
    // A method of one element acts on the first match unless nth says
    // which; count and the all* methods see every match.
    let loc = page.locator(c.selector);
    if (c.nth !== undefined) loc = loc.nth(c.nth);
    else if (!/^(count|all)/.test(c.method)) loc = loc.first();
    const fn = loc[c.method];
    if (typeof fn !== 'function') throw new Error(`no Locator method ${c.method}`);
    return (await fn.apply(loc, c.args || [])) ?? null;
  },
  async eval(c) {
    const { page } = pages.get(c.page);
    // eslint-disable-next-line no-new-func
    return page.evaluate(new Function('arg', c.body), c.arg ?? null);
  },
  async wait_for(c) {
    const { page } = pages.get(c.page);
    // eslint-disable-next-line no-new-func
    const h = await page.waitForFunction(new Function('arg', c.body), c.arg ?? null,
      { timeout: c.timeout || TIMEOUT, polling: 100 });
    return h.jsonValue();
  },
  async block(c) {
    await pages.get(c.page).page.route(c.pattern, (route) => route.abort('connectionrefused'));
    return null;
  },
  async unblock(c) {
    await pages.get(c.page).page.unroute(c.pattern);
    return null;
  },
  async key(c) {
    await pages.get(c.page).page.keyboard.press(c.key);
    return null;
  },
  async screenshot(c) {
    const { page } = pages.get(c.page);
    await page.screenshot({ path: c.path, fullPage: !!c.fullPage });
    return c.path;
  },
  async viewport(c) {
    const { page } = pages.get(c.page);
    await page.setViewportSize({ width: c.width, height: c.height });
    return null;
  },
  async problems(c) {
    const p = pages.get(c.page);
    return p.problems.splice(0);
  },
  async url(c) {
    return pages.get(c.page).page.url();
  },
  async quit() {
    await browser.close();
    setImmediate(() => process.exit(0));
    return null;
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    return;
  }
  try {
    const op = ops[cmd.op];
    if (!op) throw new Error(`unknown op ${cmd.op}`);
    const value = await op(cmd);
    process.stdout.write(`${JSON.stringify({ id: cmd.id, ok: true, value })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ id: cmd.id, ok: false, error: String(e && e.message ? e.message : e) })}\n`);
  }
});
rl.on('close', async () => {
  await browser.close();
  process.exit(0);
});
