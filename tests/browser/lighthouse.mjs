// Lighthouse (npm lighthouse@12.2.3, pinned: 13.x needs Node 22) on every page of the built
// book, desktop and mobile, as a reader on a first visit gets them, and fail under the goals.
//
//   node tests/browser/lighthouse.mjs --html _build/html --out _build/lighthouse \
//        --chromium /usr/bin/chromium [--toc _toc.yml | --pages book/intro,book/04_cross_entropy]
//        [--runs 1] [--form-factors desktop,mobile]
//
// (`make lighthouse` runs exactly this after `make book`.) The pages are those of _toc.yml (a new
// chapter is measured as soon as it is listed), or the ones --pages names. The book is served from 127.0.0.1 with
// gzip, as GitHub Pages serves it, and Chromium starts with no network beyond loopback. Each
// page is measured per form factor, one run at a time (two at once would slow each other's
// simulated CPU), with Lighthouse's own settings: desktop (1350x940, no throttling of the CPU,
// a fast connection simulated) and mobile (a mid-range phone, 4x slower CPU, a slow 4G
// connection simulated). Lighthouse simulates the phone from the time each task takes on this
// machine, so a busy machine lowers the mobile scores: the pages must meet the goals with room
// to spare, which typesetting the mathematics at build time (_ext/typeset_math.mjs), settling
// the colour mode in the <head> (_ext/book_html_fixes.py) and an API reference in pages of
// 60-520 KB give them.
//
// A run under a goal is not yet a failure: the page is measured twice more and judged by the
// median of its three runs (performance, CLS and bytes each), as Lighthouse's own guidance on
// variability advises. Three runs of every page would triple the time (40 runs are 8 to 15
// minutes); a retry costs time only where a run missed, and a page that truly misses a goal
// still fails, since two of three runs must then meet it. --runs 3 measures every page three
// times. The full-page screenshot (seconds on a long page, and no score uses it) is left out.
// Written into --out:
//   summary.json, summary.md   the four scores (accessibility from the mobile run), LCP, CLS, TBT, transfer bytes and requests of
//                              the run that counts (the median), and every run's performance
//   <page>.<form factor>.json  Lighthouse's full report of the run that counts
// Goals (the run fails if any is missed): performance >= 90 on desktop and >= 75 on mobile,
// cumulative layout shift < 0.1, at most 700 KB transferred (gzip) on a first visit.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseArgs } from 'node:util';

import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';

import { tocPages } from './toc.mjs';

const { values: opt } = parseArgs({
  options: {
    html: { type: 'string', default: '_build/html' },
    out: { type: 'string', default: '_build/lighthouse' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    toc: { type: 'string', default: '_toc.yml' },
    pages: { type: 'string', default: '' },
    'form-factors': { type: 'string', default: 'desktop,mobile' },
    runs: { type: 'string', default: '1' },
  },
});

const GOALS = {
  performance: { desktop: 0.9, mobile: 0.75 },
  cls: 0.1,
  bytes: 700 * 1024,
};

const htmlDir = path.resolve(opt.html);
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.ico': 'image/x-icon',
  '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.json': 'application/json',
  '.txt': 'text/plain', '.ipynb': 'application/json',
};
// Already compressed formats are sent as they are, like any static host does.
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.ttf', '.ico', '.ipynb']);

const server = http.createServer((req, res) => {
  let rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.join(htmlDir, path.normalize(rel));
  if (!file.startsWith(htmlDir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  const ext = path.extname(file);
  const headers = {
    'content-type': TYPES[ext] ?? 'application/octet-stream',
    'cache-control': 'max-age=600', // GitHub Pages' own
  };
  const body = fs.readFileSync(file);
  if (COMPRESSIBLE.has(ext) && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
    res.writeHead(200, { ...headers, 'content-encoding': 'gzip', vary: 'Accept-Encoding' });
    res.end(zlib.gzipSync(body, { level: 6 }));
  } else {
    res.writeHead(200, headers);
    res.end(body);
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

fs.mkdirSync(opt.out, { recursive: true });
const chrome = await chromeLauncher.launch({
  chromePath: opt.chromium,
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-default-apps'],
});

const pages = opt.pages
  ? opt.pages.split(',').map((p) => p.trim()).filter(Boolean)
  : tocPages(opt.toc).map((entry) => entry.docname);
const formFactors = opt['form-factors'].split(',').map((f) => f.trim());
const firstRuns = Math.max(1, Number(opt.runs) || 1);
const rows = [];
let failed = 0;
const started = Date.now();

// One Lighthouse run of a page: its report and the numbers the goals concern.
// A retry measures performance only (the goals' scores); the first run the other categories too.
// Accessibility (axe-core inside Lighthouse, 3 to 5 s of a 12 to 15 s run) is measured in the
// mobile run only: the page's markup is the same at both sizes, and the one audit that differs,
// touch-target size, concerns the phone. `make browser-test` runs axe-core itself on every page
// at 1280 px, in light and dark mode.
function categories(formFactor, retry) {
  if (retry) return ['performance'];
  const all = ['performance', 'accessibility', 'best-practices', 'seo'];
  return formFactors.includes('mobile') && formFactor !== 'mobile'
    ? all.filter((c) => c !== 'accessibility') : all;
}

async function measure(page, formFactor, { retry = false } = {}) {
  const t0 = Date.now();
  const url = `${origin}/${page}.html`;
  const flags = { port: chrome.port, output: 'json', logLevel: 'error',
    onlyCategories: categories(formFactor, retry),
    skipAudits: SKIPPED_AUDITS, disableFullPageScreenshot: true };
  const result = await lighthouse(url, flags, formFactor === 'desktop' ? desktopConfig : undefined);
  const lhr = result.lhr;
  const audit = (id) => lhr.audits[id];
  return {
    report: result.report,
    requests: audit('network-requests')?.details?.items ?? [],
    bootup: audit('bootup-time')?.details?.items ?? [],
    row: {
      page, formFactor,
      performance: lhr.categories.performance.score,
      accessibility: lhr.categories.accessibility?.score ?? null,
      bestPractices: lhr.categories['best-practices']?.score ?? null,
      seo: lhr.categories.seo?.score ?? null,
      lcpMs: Math.round(audit('largest-contentful-paint').numericValue),
      fcpMs: Math.round(audit('first-contentful-paint').numericValue),
      tbtMs: Math.round(audit('total-blocking-time').numericValue),
      cls: Number(audit('cumulative-layout-shift').numericValue.toFixed(3)),
      bytes: Math.round(audit('total-byte-weight').numericValue),
      requests: (audit('network-requests')?.details?.items ?? []).length,
      runtimeError: lhr.runtimeError?.message ?? null,
      seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
    },
  };
}

// What a row misses of the goals.
function missed(row) {
  const problems = [];
  if (row.runtimeError) problems.push(`Lighthouse error: ${row.runtimeError}`);
  if (!(row.performance >= GOALS.performance[row.formFactor])) {
    problems.push(`performance ${row.performance} < ${GOALS.performance[row.formFactor]}`);
  }
  if (!(row.cls < GOALS.cls)) problems.push(`layout shift ${row.cls} >= ${GOALS.cls}`);
  if (!(row.bytes <= GOALS.bytes)) {
    problems.push(`${(row.bytes / 1024).toFixed(0)} KB transferred > ${GOALS.bytes / 1024} KB`);
  }
  return problems;
}

// SEO's "legible font sizes" audit measures every text node of the page (4 to 5 s of a 20 s
// run on a long page) and concerns the theme's type, which no page changes: left out, the SEO
// score is that of its other audits. Three performance diagnostics that no score weighs are left
// out too, with the artifacts only they need: the unused-CSS, render-blocking and preload-font
// advice (the CSS coverage of every style sheet, ~1 s a run) and the back/forward cache test (a
// navigation away and back, ~0.3 s). The performance score comes from the simulated metrics
// (FCP, LCP, TBT, CLS, Speed Index), which none of them changes.
const SKIPPED_AUDITS = ['font-size', 'unused-css-rules', 'render-blocking-resources', 'preload-fonts',
  'bf-cache'];

const pct = (score) => (score === null ? 'in the mobile run' : String(Math.round(score * 100)));
const median = (values) => values.slice().sort((a, b) => a - b)[(values.length - 1) >> 1];

try {
  for (const page of pages) {
    for (const formFactor of formFactors) {
      const runs = [];
      for (let i = 0; i < firstRuns; i += 1) runs.push(await measure(page, formFactor));
      // Under a goal: two more runs (three in all), judged by their median.
      if (runs.length < 3 && runs.some((run) => missed(run.row).length)) {
        while (runs.length < 3) runs.push(await measure(page, formFactor, { retry: true }));
      }
      // The run that counts: the median performance; CLS and bytes are each their median too.
      const byScore = runs.slice().sort((a, b) => a.row.performance - b.row.performance);
      const counted = byScore[(byScore.length - 1) >> 1];
      const row = { ...counted.row,
        accessibility: runs[0].row.accessibility,
        bestPractices: runs[0].row.bestPractices,
        seo: runs[0].row.seo,
        cls: median(runs.map((run) => run.row.cls)),
        bytes: median(runs.map((run) => run.row.bytes)),
        runtimeError: runs.map((run) => run.row.runtimeError).find(Boolean) ?? null,
        runs: runs.map((run) => run.row.performance),
        seconds: Number(runs.reduce((s, run) => s + run.row.seconds, 0).toFixed(1)) };
      fs.writeFileSync(path.join(opt.out, `${page.replaceAll('/', '__')}.${formFactor}.json`), counted.report);
      const problems = missed(row);
      // The biggest contributors to a missed goal, so a failure says where to look.
      if (problems.length) {
        const heavy = counted.requests.slice().sort((a, b) => b.transferSize - a.transferSize).slice(0, 4)
          .map((r) => `${r.url.replace(origin, '')} ${(r.transferSize / 1024).toFixed(0)} KB`);
        problems.push(`largest transfers: ${heavy.join(', ')}`);
        const work = counted.bootup.slice(0, 3)
          .map((r) => `${r.url.replace(origin, '')} ${Math.round(r.total)} ms`);
        if (work.length) problems.push(`most script time: ${work.join(', ')}`);
      }
      row.problems = problems;
      rows.push(row);
      const verdict = problems.length ? 'FAIL' : 'ok  ';
      const scores = runs.length > 1
        ? ` (median of ${runs.map((run) => Math.round(run.row.performance * 100)).join(', ')})` : '';
      console.log(`${verdict} ${page} ${formFactor}: performance ${Math.round(row.performance * 100)}${scores}, `
        + `accessibility ${pct(row.accessibility)}, best practices `
        + `${Math.round(row.bestPractices * 100)}, SEO ${Math.round(row.seo * 100)}; LCP `
        + `${(row.lcpMs / 1000).toFixed(1)} s, TBT ${row.tbtMs} ms, CLS ${row.cls}, `
        + `${(row.bytes / 1024).toFixed(0)} KB in ${row.requests} requests; ${row.seconds} s`);
      for (const p of problems) console.log(`     ${p}`);
      if (problems.length) failed += 1;
    }
  }
} finally {
  await chrome.kill();
  server.close();
}

fs.writeFileSync(path.join(opt.out, 'summary.json'), `${JSON.stringify({ goals: GOALS, rows }, null, 2)}\n`);
const md = ['| page | form factor | performance | runs | accessibility | best practices | SEO | LCP (s) | TBT (ms) | CLS | KB (gzip) | requests |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.page} | ${r.formFactor} | ${Math.round(r.performance * 100)} | `
    + `${r.runs.map((s) => Math.round(s * 100)).join(', ')} | `
    + `${pct(r.accessibility)} | ${Math.round(r.bestPractices * 100)} | ${Math.round(r.seo * 100)} | `
    + `${(r.lcpMs / 1000).toFixed(1)} | ${r.tbtMs} | ${r.cls} | ${(r.bytes / 1024).toFixed(0)} | ${r.requests} |`)];
fs.writeFileSync(path.join(opt.out, 'summary.md'), `${md.join('\n')}\n`);
console.log(`Reports in ${opt.out}/ (summary.md, summary.json, one JSON per page and form factor); `
  + `${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`lighthouse: ${rows.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
