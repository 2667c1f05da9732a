// Open the built book in headless Chromium, page by page as a reader would, and check it.
//
//   node tests/browser/check_book.mjs --html _build/html --toc _toc.yml --config _config.yml \
//        --screenshots _build/screenshots --chromium /usr/bin/chromium
//
// (`make browser-test` runs exactly this after `make book`.) The pages come from _toc.yml, so a
// new chapter is checked as soon as it is in the table of contents. The book is served from
// 127.0.0.1, and every request to any other host is blocked and reported: a page must be readable
// with no network. The walk starts at index.html and reaches each next page by clicking its link
// in the sidebar of the page before. On every page:
//   - it loads (HTTP 200), with no console error, no uncaught exception, no failed request;
//   - its mathematics is typeset: every Sphinx math element holds MathJax output, no MathJax
//     error box, and no raw TeX ($$, \( \), \[ \], \command, $...$) left in the text;
//   - every image has loaded (naturalWidth > 0);
//   - the sidebar links to every page of the table of contents;
//   - every local link resolves to a file of the build, and its #anchor to an id in that page;
//   - every code cell has a copy button; hidden cells and dropdowns have their toggles;
//   - a notebook page has a Binder launch link to its own notebook, made from _config.yml;
// and a full-page screenshot is saved as <screenshots>/<page>.png. Last, in a fresh context, the
// first page with mathematics switches on MathJax's accessibility explorer, which must load its
// code and speech rules from the book.
// Prints one line a page and "browser: N passed, M failed"; exits 1 if anything failed.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';
import YAML from 'yaml';

const { values: opt } = parseArgs({
  options: {
    html: { type: 'string', default: '_build/html' },
    toc: { type: 'string', default: '_toc.yml' },
    config: { type: 'string', default: '_config.yml' },
    screenshots: { type: 'string', default: '_build/screenshots' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    timeout: { type: 'string', default: '60000' },
  },
});
const htmlDir = path.resolve(opt.html);
const bookDir = path.dirname(path.resolve(opt.toc));
const timeout = Number(opt.timeout);

// ---- the table of contents ----------------------------------------------------------------------
function tocPages(tocFile) {
  const toc = YAML.parse(fs.readFileSync(tocFile, 'utf8'));
  const docnames = [toc.root];
  const walk = (entries) => {
    for (const entry of entries ?? []) {
      if (entry.glob) throw new Error(`${tocFile}: glob entries are not supported here (${entry.glob})`);
      if (entry.file) docnames.push(entry.file);
      walk(entry.sections);
      walk(entry.chapters);
    }
  };
  for (const part of toc.parts ?? []) walk(part.chapters);
  walk(toc.chapters);
  walk(toc.sections);
  return docnames.map((name) => {
    const docname = name.replace(/\.(md|ipynb|rst)$/, '');
    const source = ['.ipynb', '.md', '.rst'].map((ext) => docname + ext)
      .find((f) => fs.existsSync(path.join(bookDir, f)));
    return { docname, source, html: `${docname}.html` };
  });
}

function binderLink(configFile, source) {
  const cfg = YAML.parse(fs.readFileSync(configFile, 'utf8'));
  const hub = cfg.launch_buttons?.binderhub_url;
  if (!hub || !source?.endsWith('.ipynb')) return null;
  const repo = new URL(cfg.repository.url).pathname.replace(/^\/|\/$/g, '');
  const ui = cfg.launch_buttons.notebook_interface === 'jupyterlab' ? 'lab/tree' : 'tree';
  const prefix = cfg.repository.path_to_book ? `${cfg.repository.path_to_book.replace(/\/$/, '')}/` : '';
  return `${hub.replace(/\/$/, '')}/v2/gh/${repo}/${cfg.repository.branch}?urlpath=${ui}/${prefix}${source}`;
}

// ---- a static server for the built book, on loopback ----------------------------------------------
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.ico': 'image/x-icon', '.woff': 'font/woff',
  '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.json': 'application/json', '.txt': 'text/plain',
  '.ipynb': 'application/json', '.map': 'application/json',
};

function fileFor(urlPath) {
  let rel = decodeURIComponent(urlPath);
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.join(htmlDir, path.normalize(rel));
  return file.startsWith(htmlDir) && fs.existsSync(file) && fs.statSync(file).isFile() ? file : null;
}

const server = http.createServer((req, res) => {
  const file = fileFor(new URL(req.url, 'http://x').pathname);
  if (!file) { res.writeHead(404).end('not found'); return; }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

// ids (and names) that an anchor can point at, per built file
const idCache = new Map();
function idsOf(file) {
  if (!idCache.has(file)) {
    const text = fs.readFileSync(file, 'utf8');
    idCache.set(file, new Set([...text.matchAll(/\s(?:id|name)="([^"]*)"/g)].map((m) => m[1])));
  }
  return idCache.get(file);
}

// ---- checks inside the page ---------------------------------------------------------------------
async function inspect(page) {
  // Images: load lazy ones too, and wait until every image has finished, one way or the other.
  await page.evaluate(async () => {
    const imgs = [...document.images];
    imgs.forEach((img) => { img.loading = 'eager'; });
    await Promise.all(imgs.map((img) => (img.complete ? null
      : new Promise((done) => { img.addEventListener('load', done); img.addEventListener('error', done); }))));
    await document.fonts.ready;
  });
  return page.evaluate(() => {
    const article = document.querySelector('article') ?? document.querySelector('main') ?? document.body;
    const prose = article.cloneNode(true);
    prose.querySelectorAll('pre, code, script, style, textarea, mjx-container, .highlight, .MathJax')
      .forEach((el) => el.remove());
    const mathEls = [...document.querySelectorAll('.math')];
    const cellInputs = [...document.querySelectorAll('div.cell div.cell_input div.highlight')];
    return {
      title: document.title,
      text: prose.textContent,
      math: mathEls.length,
      mathTypeset: mathEls.filter((el) => el.querySelector('mjx-container')).length,
      mathErrors: [...document.querySelectorAll('mjx-merror')].map((el) => el.textContent),
      mathjaxLoaded: Boolean(window.MathJax?.version),
      images: [...document.images].map((img) => ({ src: img.currentSrc || img.src, width: img.naturalWidth })),
      figures: document.querySelectorAll('div.cell_output img').length,
      sidebar: [...document.querySelectorAll('nav.bd-docs-nav a[href]')].map((a) => a.href),
      links: [...document.querySelectorAll('a[href]')].map((a) => ({ raw: a.getAttribute('href'), url: a.href })),
      resources: [...document.querySelectorAll('script[src], link[href], img[src], source[src], iframe[src]')]
        .filter((el) => !(el.tagName === 'LINK' && /^(next|prev|index|search|canonical)$/.test(el.rel)))
        .map((el) => el.src || el.href),
      ids: [...document.querySelectorAll('[id], a[name]')].map((el) => el.id || el.name),
      codeCells: cellInputs.length,
      codeCellsWithCopy: cellInputs.filter((el) => el.querySelector('button.copybtn')).length,
      hiddenCells: [...document.querySelectorAll('.cell.tag_hide-input, .cell.tag_hide-output, .cell.tag_hide-cell')]
        .map((el) => Boolean(el.querySelector('details, .toggle-button'))),
      dropdowns: [...document.querySelectorAll('.admonition.dropdown')]
        .map((el) => Boolean(el.querySelector('.toggle-button'))),
      launchLinks: [...document.querySelectorAll('a[href*="/v2/gh/"]')].map((a) => a.href),
    };
  });
}

const RAW_TEX = [
  [/\$\$/, '$$'], [/\\[()[\]]/, '\\( \\) \\[ \\]'], [/\\[A-Za-z]+/, 'a TeX command'],
  [/(^|[^\\])\$[^$\s][^$\n]*\$/, 'inline $...$'],
];

function checkContent(info, entry, pageUrl, allPages) {
  const problems = [];
  // mathematics
  if (info.math > 0 && !info.mathjaxLoaded) problems.push('page has mathematics but MathJax did not load');
  if (info.mathTypeset < info.math) problems.push(`${info.math - info.mathTypeset} of ${info.math} math elements not typeset`);
  for (const err of info.mathErrors) problems.push(`MathJax error: ${err}`);
  for (const [re, what] of RAW_TEX) {
    const m = info.text.match(re);
    if (m) {
      const at = info.text.indexOf(m[0]);
      problems.push(`raw TeX left in the text (${what}): ...${info.text.slice(Math.max(0, at - 40), at + 40).replace(/\s+/g, ' ')}...`);
    }
  }
  // images
  for (const img of info.images) if (!(img.width > 0)) problems.push(`image did not load: ${img.src}`);
  // sidebar
  const inSidebar = new Set(info.sidebar.map((u) => u.split('#')[0]));
  for (const p of allPages) {
    if (!inSidebar.has(`${origin}/${p.html}`)) problems.push(`sidebar has no link to ${p.html}`);
  }
  // links and anchors
  let local = 0; let external = 0;
  for (const { raw, url } of info.links) {
    if (raw === '#' || /^(javascript|mailto):/.test(raw)) continue;
    const u = new URL(url);
    if (u.origin !== origin) { external += 1; continue; }
    local += 1;
    const file = fileFor(u.pathname);
    if (!file) { problems.push(`broken link ${raw} (no ${u.pathname})`); continue; }
    const hash = decodeURIComponent(u.hash.slice(1));
    if (!hash) continue;
    const samePage = u.pathname === new URL(pageUrl).pathname;
    const ids = samePage ? new Set(info.ids) : idsOf(file);
    if (!ids.has(hash)) problems.push(`broken anchor ${raw} (no id "${hash}" in ${u.pathname})`);
  }
  for (const res of info.resources) {
    const u = new URL(res);
    if (u.origin !== origin) problems.push(`page references an external resource: ${res}`);
    else if (!fileFor(u.pathname)) problems.push(`missing resource ${u.pathname}`);
  }
  // copy buttons, toggles, launch buttons
  if (info.codeCellsWithCopy < info.codeCells) {
    problems.push(`${info.codeCells - info.codeCellsWithCopy} of ${info.codeCells} code cells have no copy button`);
  }
  if (info.hiddenCells.includes(false)) problems.push('a hide-input/-output/-cell cell has no toggle');
  if (info.dropdowns.includes(false)) problems.push('a dropdown admonition has no toggle button');
  const expected = binderLink(opt.config, entry.source);
  if (expected && !info.launchLinks.includes(expected)) {
    problems.push(`no Binder launch link ${expected} (found: ${info.launchLinks.join(', ') || 'none'})`);
  }
  return { problems, local, external };
}

// ---- the walk -----------------------------------------------------------------------------------
const pages = tocPages(opt.toc);
fs.mkdirSync(opt.screenshots, { recursive: true });

const browser = await chromium.launch({
  executablePath: opt.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
const page = await context.newPage();
page.setDefaultTimeout(timeout);

let events = [];
await context.route('**/*', (route) => {
  const url = route.request().url();
  if (new URL(url).origin === origin) return route.continue();
  events.push(`request to another host blocked (the page needs the network): ${url}`);
  return route.abort('blockedbyclient');
});
page.on('console', (msg) => { if (msg.type() === 'error') events.push(`console error: ${msg.text()} (${msg.location().url})`); });
page.on('pageerror', (err) => events.push(`uncaught exception: ${err.message}`));
page.on('requestfailed', (req) => {
  if (new URL(req.url()).origin === origin) events.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
});
page.on('response', (res) => { if (res.status() >= 400) events.push(`HTTP ${res.status()} for ${res.url()}`); });

// page.evaluate has no timeout of its own: a promise that never settles must fail, not hang.
function within(promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeout} ms`)), timeout);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

async function settle(p = page) {
  await p.waitForLoadState('load');
  // MathJax (a deferred script, on pages that have mathematics, so it has run by now) typesets
  // asynchronously: wait for its first typesetting to finish.
  await within(p.evaluate(() => window.MathJax?.startup?.promise), 'MathJax typesetting');
  await p.waitForLoadState('networkidle');
}

let passed = 0; let failed = 0;
for (let i = 0; i < pages.length; i += 1) {
  const entry = pages[i];
  const target = `${origin}/${entry.html}`;
  const started = Date.now();
  const problems = [];
  events = [];
  if (!entry.source) problems.push(`no source file for ${entry.docname} next to ${opt.toc}`);
  try {
    if (i === 0) {
      // The book's front door: index.html sends the reader to the root page.
      const res = await page.goto(`${origin}/index.html`);
      if (!res?.ok()) problems.push(`index.html: HTTP ${res?.status()}`);
      await page.waitForURL(target).catch(() => problems.push(`index.html does not lead to ${entry.html} (at ${page.url()})`));
    } else {
      // Follow the sidebar of the page before, as a reader would.
      const link = page.locator('nav.bd-docs-nav a[href]');
      const hrefs = await link.evaluateAll((as) => as.map((a) => a.href.split('#')[0]));
      const index = hrefs.indexOf(target);
      if (index < 0) {
        problems.push(`the sidebar of ${pages[i - 1].html} has no link here; opened directly`);
        await page.goto(target);
      } else {
        await Promise.all([page.waitForURL(target), link.nth(index).evaluate((a) => a.click())]);
      }
    }
    if (!page.url().startsWith(target)) await page.goto(target);
    await settle();
    const info = await within(inspect(page), 'reading the page');
    const result = checkContent(info, entry, page.url(), pages);
    problems.push(...result.problems);
    const shot = path.join(opt.screenshots, `${entry.docname.replaceAll('/', '__')}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    problems.push(...events);
    const summary = `math ${info.mathTypeset}/${info.math} typeset, ${info.figures} figures, `
      + `${info.images.length} images, ${result.local} local + ${result.external} external links, `
      + `${info.codeCells} code cells; ${((Date.now() - started) / 1000).toFixed(1)} s`;
    console.log(`${problems.length ? 'FAIL' : 'ok  '} ${entry.html} "${info.title}": ${summary}`);
  } catch (err) {
    problems.push(...events, `${err.name}: ${err.message.split('\n')[0]}`);
    console.log(`FAIL ${entry.html}`);
  }
  for (const p of problems) console.log(`     ${p}`);
  if (problems.length) failed += 1; else passed += 1;
}

// MathJax's accessibility tools (menu > Accessibility > Interactive explorer) must load their
// code and speech rules from the book too. In a context of its own: the menu stores the setting
// in localStorage, and the pages above are checked as a first-time reader sees them.
const mathPage = pages.find((p) => /class="math/.test(fs.readFileSync(path.join(htmlDir, p.html), 'utf8')));
if (mathPage) {
  const a11y = await browser.newContext({ serviceWorkers: 'block' });
  const p = await a11y.newPage();
  const problems = [];
  await a11y.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    problems.push(`request to another host blocked: ${url}`);
    return route.abort('blockedbyclient');
  });
  p.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
  p.on('pageerror', (err) => problems.push(`uncaught exception: ${err.message}`));
  p.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`); });
  try {
    await p.goto(`${origin}/${mathPage.html}`);
    await settle(p);
    const loaded = await within(p.evaluate(async () => {
      MathJax.startup.document.menu.menu.pool.lookup('explorer').setValue(true);
      for (let i = 0; i < 100 && !MathJax._.a11y?.explorer; i += 1) await new Promise((r) => setTimeout(r, 100));
      return Boolean(MathJax._.a11y?.explorer);
    }), 'loading the explorer');
    await p.waitForLoadState('networkidle');
    if (!loaded) problems.push("MathJax's interactive explorer did not load");
  } catch (err) {
    problems.push(`${err.name}: ${err.message.split('\n')[0]}`);
  }
  console.log(`${problems.length ? 'FAIL' : 'ok  '} MathJax accessibility explorer on ${mathPage.html}`);
  for (const problem of problems) console.log(`     ${problem}`);
  if (problems.length) failed += 1; else passed += 1;
  await a11y.close();
}

await browser.close();
server.close();
console.log(`Screenshots in ${opt.screenshots}/`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
