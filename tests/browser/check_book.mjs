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
//   - its mathematics was typeset when the book was built (_ext/typeset_math.mjs): every Sphinx
//     math element holds MathJax output with the expression's MathML for screen readers
//     (<mjx-assistive-mml><math>), no MathJax error box, no raw TeX ($$, \( \), \[ \], \command,
//     $...$) left in the text, and no MathJax script loaded (nothing is typeset in the browser);
//   - every image has loaded (naturalWidth > 0);
//   - the sidebar links to every page of the table of contents;
//   - every local link resolves to a file of the build, and its #anchor to an id in that page;
//   - every code cell has a copy button; hidden cells and dropdowns have their toggles;
//   - a notebook page has a Binder launch link to its own notebook, made from _config.yml;
// and a full-page screenshot is saved as <screenshots>/<page>.png. Then every page, the generated index, module index and
// search page included, as readers with other screens and other means meet it:
//   - axe-core (npm, pinned): every rule in light mode, then the rules about colours in dark
//     mode (the theme's data-theme switch, on the page as loaded): no violation of any impact;
//     every contrast that axe leaves "incomplete" is measured here instead (the text's colour
//     against the nearest opaque background) and must reach 4.5:1 (3:1 for large text);
//   - figures: every image a notebook outputs has alt text that is not a file name, sits in a
//     <figure> with a caption, and is a link to the image file (open it at full size);
//   - keyboard, at 1280 px: Tab from the top of the page to the end; every control reached
//     shows a focus ring (an outline or a box-shadow), no mathematical expression is a tab
//     stop, and every box that scrolls (an output, an equation, a table, a code block) can be
//     focused;
//   - a phone, 390x844, its system in dark mode (the page must follow it): the article header's
//     navigation buttons (☰ and page contents) open the chapter list and the page's contents,
//     and Escape closes them; no page is wider than the screen;
//   - at 390, 1024 and 1280 px: no display equation is wider than its column; at 1024 and
//     1280 px none is wider than its box (a long one is broken into lines); on the phone one
//     whose content is wider scrolls inside it, with the shadow cue, and can be focused.
// Prints one line a page and check and "browser: N passed, M failed"; exits 1 if anything failed.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';
import YAML from 'yaml';

import { tocPages } from './toc.mjs';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

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
const timeout = Number(opt.timeout);

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
      mathSpoken: mathEls.filter((el) => el.querySelector('mjx-container mjx-assistive-mml math')
        ?.textContent.trim()).length,
      mathErrors: [...document.querySelectorAll('mjx-merror')].map((el) => el.textContent),
      mathjaxScripts: [...[...document.scripts].filter((el) => /mathjax/i.test(el.src)).map((el) => el.src),
        ...(window.MathJax === undefined ? [] : ['window.MathJax'])],
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
  for (const src of new Set(info.mathjaxScripts)) {
    problems.push(`MathJax is loaded in the browser (${src}): the mathematics is typeset when the book is built`);
  }
  if (info.mathTypeset < info.math) problems.push(`${info.math - info.mathTypeset} of ${info.math} math elements not typeset`);
  if (info.mathSpoken < info.mathTypeset) {
    problems.push(`${info.mathTypeset - info.mathSpoken} of ${info.mathTypeset} expressions have no MathML for screen readers`);
  }
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
    // axe-core in light and dark mode, figures, and the keyboard.
    const axe = await axeCheck(page);
    problems.push(...axe.problems);
    problems.push(...(await darkContrast(page)).problems);
    const keys = await within(figuresAndKeyboard(page), 'the keyboard walk');
    problems.push(...keys.problems);
    problems.push(...events);
    const summary = `math ${info.mathTypeset}/${info.math} typeset, ${info.figures} figures, `
      + `${info.images.length} images, ${result.local} local + ${result.external} external links, `
      + `${info.codeCells} code cells; axe light and dark, ${keys.summary}; `
      + `${((Date.now() - started) / 1000).toFixed(1)} s`;
    console.log(`${problems.length ? 'FAIL' : 'ok  '} ${entry.html} "${info.title}": ${summary}`);
  } catch (err) {
    problems.push(...events, `${err.name}: ${err.message.split('\n')[0]}`);
    console.log(`FAIL ${entry.html}`);
  }
  for (const p of problems) console.log(`     ${p}`);
  if (problems.length) failed += 1; else passed += 1;
}

// ---- every reader, every screen -------------------------------------------------------------
// The pages Sphinx writes besides the table of contents'.
const allPages = [...pages, ...['genindex', 'py-modindex', 'search']
  .filter((name) => fs.existsSync(path.join(htmlDir, `${name}.html`)))
  .map((name) => ({ docname: name, source: null, html: `${name}.html`, generated: true }))];

async function freshContext(options) {
  const ctx = await browser.newContext({ serviceWorkers: 'block', ...options });
  await ctx.route('**/*', (route) => (new URL(route.request().url()).origin === origin
    ? route.continue() : route.abort('blockedbyclient')));
  const p = await ctx.newPage();
  p.setDefaultTimeout(timeout);
  return { ctx, p };
}

async function open(p, entry) {
  await p.goto(`${origin}/${entry.html}`);
  await settle(p);
  // lossnotes.js marks scroll boxes again once the fonts are in; let that finish.
  await p.evaluate(() => document.fonts.ready);
  await p.waitForTimeout(100);
}

function report(name, problems, summary) {
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${name}${summary ? `: ${summary}` : ''}`);
  for (const problem of problems.slice(0, 25)) console.log(`     ${problem}`);
  if (problems.length > 25) console.log(`     ... and ${problems.length - 25} more`);
  if (problems.length) failed += 1; else passed += 1;
}

// In the page: the contrast of an element's text against the nearest opaque background
// behind it (WCAG 2 formula), for the contrasts axe could not decide.
function measureContrast(selectors) {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const lum = ({ r, g, b }) => {
    const ch = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  return selectors.map((selector) => {
    const el = document.querySelector(selector);
    if (!el) return { selector, ratio: null, why: 'element not found' };
    const cs = getComputedStyle(el);
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const s = getComputedStyle(node);
      if (s.backgroundImage !== 'none' && !node.classList.contains('lossnotes-scroll-cue')) {
        return { selector, ratio: null, why: `background image on ${node.tagName.toLowerCase()}` };
      }
      const bg = parse(s.backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let background = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) background = over(layer, background);
    const fg = over(parse(cs.color), background);
    const [l1, l2] = [lum(fg), lum(background)].sort((a, b) => b - a);
    const size = parseFloat(cs.fontSize);
    const bold = Number(cs.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    return { selector, ratio: (l1 + 0.05) / (l2 + 0.05), need: large ? 3 : 4.5, text: el.textContent.trim().slice(0, 40) };
  });
}

async function axeCheck(p, rules = null) {
  if (!(await p.evaluate(() => Boolean(window.axe)))) await p.addScriptTag({ content: AXE_SOURCE });
  const result = await within(p.evaluate(async (only) => {
    const options = { resultTypes: ['violations', 'incomplete'] };
    if (only) options.runOnly = { type: 'rule', values: only };
    const r = await window.axe.run(document, options);
    const nodes = (rule) => rule.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 120),
      why: (n.failureSummary || n.any?.[0]?.message || '').replace(/\s+/g, ' ').slice(0, 240) }));
    return {
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: nodes(v) })),
      contrast: r.incomplete.filter((v) => v.id === 'color-contrast').flatMap(nodes),
    };
  }, rules), 'axe-core');
  const problems = [];
  for (const v of result.violations) {
    for (const n of v.nodes) problems.push(`axe ${v.id} (${v.impact}): ${n.target}: ${n.why}`);
  }
  const measured = await p.evaluate(measureContrast, result.contrast.map((n) => n.target));
  for (const m of measured) {
    if (m.ratio === null) problems.push(`contrast undecided (axe and here: ${m.why}): ${m.selector}`);
    else if (m.ratio < m.need) problems.push(`contrast ${m.ratio.toFixed(2)}:1 < ${m.need}:1 for "${m.text}": ${m.selector}`);
  }
  return { problems, undecided: result.contrast.length };
}

// Dark mode, on the page as loaded: the theme's own switch (what it does when the reader's system
// is dark, checked on the phone below) is the data-theme attribute, on which every dark style
// hangs. The page's structure is the same in both modes, so axe runs the rules about colours.
async function darkContrast(p) {
  // The theme's colours change with a CSS transition (the search button's): measure them settled.
  await p.evaluate(async () => {
    document.documentElement.dataset.theme = 'dark';
    await new Promise(requestAnimationFrame);
    await Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => null)));
  });
  try {
    const result = await axeCheck(p, ['color-contrast', 'link-in-text-block']);
    return { problems: result.problems.map((problem) => `dark mode: ${problem}`) };
  } finally {
    await p.evaluate(() => { document.documentElement.dataset.theme = 'light'; });
  }
}

// ---- figures and keyboard ----------------------------------------------------------------------
async function figuresAndKeyboard(p) {
  const problems = [];
  const figures = await p.evaluate(() => [...document.querySelectorAll('div.cell_output img')].map((img) => ({
    src: img.getAttribute('src'),
    alt: img.getAttribute('alt') ?? '',
    caption: img.closest('figure')?.querySelector('figcaption')?.textContent.trim() ?? '',
    link: img.closest('a[href]')?.getAttribute('href') ?? null,
  })));
  for (const f of figures) {
    const base = f.src.split('/').pop();
    if (f.alt.trim().length < 20 || f.alt.includes(base) || /^[\w./-]+\.(png|jpe?g|svg|gif)$/i.test(f.alt.trim())) {
      problems.push(`figure ${base}: alt text is missing, a path or too short ("${f.alt.slice(0, 60)}")`);
    }
    if (!f.caption) problems.push(`figure ${base}: no <figure> with a caption`);
    if (f.link !== f.src) problems.push(`figure ${base}: not a link to the image file (link: ${f.link})`);
  }
  // Tab through the page from the top, as a keyboard user does; each stop is read in the page.
  await p.evaluate(() => {
    window.scrollTo(0, 0);
    document.activeElement?.blur();
    window.lossnotesStops = [];
    document.addEventListener('focusin', (event) => {
      const el = event.target;
      const cs = getComputedStyle(el);
      const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2)
        || (cs.boxShadow !== 'none' && /\d+(\.\d+)?px \d/.test(cs.boxShadow));
      const name = (el.getAttribute('aria-label') || el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 30);
      const cls = typeof el.className === 'string' && el.className.trim()
        ? `.${el.className.trim().split(/\s+/).slice(0, 2).join('.')}` : '';
      window.lossnotesStops.push({ el, ring, math: Boolean(el.closest('mjx-container')),
        what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls} "${name}"` });
    });
  });
  let count = 0;
  for (let i = 0; i < 3000; i += 20) {
    for (let k = 0; k < 20; k += 1) await p.keyboard.press('Tab');
    // Stop once focus has gone round (an element reached twice) or left the page.
    const state = await p.evaluate(() => {
      const stops = window.lossnotesStops;
      return { n: stops.length, wrapped: new Set(stops.map((s) => s.el)).size < stops.length,
        away: document.activeElement === document.body || !document.hasFocus() };
    });
    count = state.n;
    if (state.wrapped || state.away) break;
  }
  const stops = await p.evaluate(() => {
    const seen = new Set();
    return window.lossnotesStops.filter((s) => (seen.has(s.el) ? false : seen.add(s.el)))
      .map(({ ring, math, what }) => ({ ring, math, what }));
  });
  const noRing = stops.filter((s) => !s.ring);
  for (const s of noRing.slice(0, 10)) problems.push(`no visible focus ring on ${s.what}`);
  if (noRing.length > 10) problems.push(`... ${noRing.length} controls without a focus ring in all`);
  const mathStops = stops.filter((s) => s.math).length;
  if (mathStops > 0) problems.push(`${mathStops} mathematical expressions are tab stops (none should be)`);
  const unfocusable = await p.evaluate(() => [...document.querySelectorAll('.bd-article *')]
    .filter((el) => {
      const cs = getComputedStyle(el);
      const scrolls = (el.scrollWidth > el.clientWidth + 1 && /auto|scroll/.test(cs.overflowX))
        || (el.scrollHeight > el.clientHeight + 1 && /auto|scroll/.test(cs.overflowY));
      return scrolls && el.tabIndex < 0 && !el.querySelector('a[href], button, [tabindex="0"]');
    }).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].slice(0, 2).join('.')}`));
  for (const u of unfocusable.slice(0, 10)) problems.push(`a box that scrolls cannot be focused: ${u}`);
  return { problems, summary: `${figures.length} figures, ${stops.length} tab stops (${mathStops} in mathematics; ${count} Tab presses)` };
}

// ---- axe-core and keyboard on the generated pages (the walk above did the book's own) -----------
{
  const { ctx, p } = await freshContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  for (const entry of allPages.filter((e) => e.generated)) {
    const started = Date.now();
    let problems = [];
    let summary = '';
    try {
      await open(p, entry);
      const axe = await axeCheck(p);
      const dark = await darkContrast(p);
      const keys = await figuresAndKeyboard(p);
      problems = [...axe.problems, ...dark.problems, ...keys.problems];
      summary = `axe light and dark, ${keys.summary}; ${((Date.now() - started) / 1000).toFixed(1)} s`;
    } catch (err) {
      problems.push(`${err.name}: ${err.message.split('\n')[0]}`);
    }
    report(entry.html, problems, summary);
  }
  await ctx.close();
}

// ---- a phone: navigation buttons, page width; equations at three widths -------------------------
// lossnotes.js marks the scroll boxes again once they have kept their size for 150 ms (the theme's
// sidebars slide with a CSS transition, so the boxes go on changing after the resize), and then
// records the width it marked them at. Wait for that record, with no transition running, rather
// than for a fixed time, which a busy machine can outlast.
async function scrollBoxesMarked(p) {
  await p.waitForFunction(
    () => !document.getAnimations().some((a) => a.playState === 'running')
      && document.documentElement.dataset.lossnotesScrollBoxes === String(document.documentElement.clientWidth),
    null, { timeout: 15000, polling: 50 });
}

async function equationWidths(p) {
  return p.evaluate(() => [...document.querySelectorAll('mjx-container[display="true"]')].map((eq) => {
    const box = eq.closest('div.math') ?? eq;
    const column = box.parentElement;
    const cs = getComputedStyle(column);
    const columnRight = column.getBoundingClientRect().right - parseFloat(cs.paddingRight);
    const rect = box.getBoundingClientRect();
    const content = eq.querySelector(':scope > svg, mjx-math')?.getBoundingClientRect().width ?? eq.scrollWidth;
    const overflows = content > box.clientWidth + 1;
    const bs = getComputedStyle(box);
    return {
      tex: (eq.querySelector('mjx-assistive-mml')?.textContent ?? '').slice(0, 50),
      width: Math.round(rect.width), right: Math.round(rect.right), columnRight: Math.round(columnRight),
      viewport: document.documentElement.clientWidth, content: Math.round(content), overflows,
      scrolls: /auto|scroll/.test(bs.overflowX), focusable: box.tabIndex >= 0,
      cue: box.classList.contains('lossnotes-scroll-cue'),
    };
  }));
}

function checkEquations(eqs, width) {
  const problems = [];
  for (const e of eqs) {
    const where = `at ${width} px, equation "${e.tex}"`;
    if (e.right > e.columnRight + 1 || e.right > e.viewport + 1) {
      problems.push(`${where} is ${e.width} px wide and ends at ${e.right} px, beyond its column (${e.columnRight} px)`);
    } else if (e.overflows && width >= 1024) {
      problems.push(`${where} (${e.content} px in a ${e.width} px box) scrolls on a wide screen: break it into lines`);
    } else if (e.overflows && !(e.scrolls && e.focusable && e.cue)) {
      problems.push(`${where} (${e.content} px in a ${e.width} px box) is cut off: scrolls ${e.scrolls}, focusable ${e.focusable}, scroll cue ${e.cue}`);
    }
  }
  return problems;
}

{
  // A phone whose system is in dark mode: the theme (default_mode auto) must follow it.
  const { ctx, p } = await freshContext({ viewport: { width: 390, height: 844 }, isMobile: true,
    hasTouch: true, deviceScaleFactor: 2, colorScheme: 'dark' });
  const tocLinks = pages.map((entry) => `${origin}/${entry.html}`);
  for (const entry of allPages) {
    const problems = [];
    let summary = '';
    try {
      await p.setViewportSize({ width: 390, height: 844 });
      await open(p, entry);
      const theme = await p.evaluate(() => document.documentElement.dataset.theme);
      if (theme !== 'dark') problems.push(`the system is in dark mode, the page in ${theme} mode`);
      const widths = await p.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')].filter((el) => {
          const r = el.getBoundingClientRect();
          if (r.width === 0 || r.right <= vw + 1) return false;
          for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (/auto|scroll|hidden|clip/.test(getComputedStyle(a).overflowX)) return false;
          }
          return true;
        }).slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].slice(0, 2).join('.')} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`);
        return { page: document.documentElement.scrollWidth, vw, wide };
      });
      if (widths.page > widths.vw) {
        problems.push(`page is ${widths.page} px wide on a ${widths.vw} px screen: ${widths.wide.join(', ')}`);
      }
      let eqCount = 0;
      for (const width of [390, 1024, 1280]) {
        if (width !== 390) await p.setViewportSize({ width, height: 844 });
        await scrollBoxesMarked(p);
        const eqs = await equationWidths(p);
        eqCount = eqs.length;
        problems.push(...checkEquations(eqs, width));
      }
      // The navigation buttons, on the phone.
      if (!entry.generated) {
        await p.setViewportSize({ width: 390, height: 844 });
        await p.waitForTimeout(200);
        for (const [kind, dialog, expect] of [['primary', '#pst-primary-sidebar-modal', 'chapters'],
          ['secondary', '#pst-secondary-sidebar-modal', 'contents']]) {
          const hasSecondary = await p.evaluate(() => Boolean(document.querySelector('#pst-secondary-sidebar .page-toc, #pst-secondary-sidebar nav')));
          if (kind === 'secondary' && !hasSecondary) continue;
          const button = p.locator(`.${kind}-toggle:visible`);
          if (await button.count() !== 1) {
            problems.push(`phone: ${await button.count()} visible .${kind}-toggle buttons (expected 1)`);
            continue;
          }
          await button.click();
          await p.waitForTimeout(150);
          const state = await p.evaluate((sel) => {
            const d = document.querySelector(sel);
            return { open: Boolean(d?.open), links: d ? [...d.querySelectorAll('a[href]')].filter((a) => a.getClientRects().length).map((a) => a.href.split('#')[0]) : [] };
          }, dialog);
          if (!state.open) {
            problems.push(`phone: the ${kind === 'primary' ? '☰ (chapters)' : 'page contents'} button does not open ${dialog}`);
          } else if (expect === 'chapters') {
            const missing = tocLinks.filter((u) => !state.links.includes(u));
            if (missing.length) problems.push(`phone: the chapter list lacks ${missing.map((u) => u.replace(`${origin}/`, '')).join(', ')}`);
          } else if (!state.links.some((u) => u === `${origin}/${entry.html}`)) {
            problems.push('phone: the page contents list no section of this page');
          }
          await p.keyboard.press('Escape');
          await p.waitForTimeout(100);
          if (await p.evaluate((sel) => Boolean(document.querySelector(sel)?.open), dialog)) {
            problems.push(`phone: Escape does not close ${dialog}`);
          }
        }
      }
      summary = `page ${widths.page} px wide at ${widths.vw}; ${eqCount} display equations checked at 390, 1024, 1280 px`;
    } catch (err) {
      problems.push(`${err.name}: ${err.message.split('\n')[0]}`);
    }
    report(`phone ${entry.html}`, problems, summary);
  }
  await ctx.close();
}

await browser.close();
server.close();
console.log(`Screenshots in ${opt.screenshots}/`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
