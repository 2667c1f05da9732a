// Typeset the book's mathematics when the book is built, so that pages carry no typesetting work.
//
//   node _ext/typeset_math.mjs <html output folder> <page.html> ...
//
// Run by _ext/book_html_fixes.py at the end of every Sphinx build, on the pages that hold
// mathematics (a page typeset by an earlier build, which Sphinx did not write again, holds no TeX
// and is left as it is). In each page, every Sphinx math element
// (<span class="math ...">\(...\)</span>, <div class="math ...">\[...\]</div>) gets MathJax 3's
// SVG output in place of its TeX, as MathJax in the browser would have made it, with the
// expression's MathML beside it (<mjx-assistive-mml>, hidden on screen, read by screen readers).
//
// SVG rather than CommonHTML: CommonHTML draws characters with MathJax's web fonts, five to ten
// of them a page, and each font that arrives makes the browser lay the whole page out again
// (the API page: two layouts of 2 s each on a simulated phone); SVG needs no font, its glyphs
// are paths, each defined once per page (fontCache "global": one hidden <svg> of <defs> at the
// top of the <body>, that every expression <use>s). Sizes are in ex, so an expression takes the
// x-height of the text around it, and the glyphs are filled with currentColor, so they follow
// dark mode. MathJax's stylesheet for its SVG output goes into one <style> in the <head>.
//
// The TeX input is MathJax's TeX with every extension (as tex-chtml-full.js), but an undefined
// macro or any other TeX error stops the build with the page and the TeX instead of showing a
// red box. MathJax comes from the npm package mathjax-full (pinned in package-lock.json);
// nothing is fetched.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { mathjax } = require('mathjax-full/js/mathjax.js');
const { TeX } = require('mathjax-full/js/input/tex.js');
const { SVG } = require('mathjax-full/js/output/svg.js');
const { liteAdaptor } = require('mathjax-full/js/adaptors/liteAdaptor.js');
const { RegisterHTMLHandler } = require('mathjax-full/js/handlers/html.js');
const { AssistiveMmlHandler } = require('mathjax-full/js/a11y/assistive-mml.js');
const { AllPackages } = require('mathjax-full/js/input/tex/AllPackages.js');

// Errors must stop the build, so neither "noerrors" nor "noundefined" (which would render them).
const PACKAGES = AllPackages.filter((name) => !['noerrors', 'noundefined'].includes(name));

const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));

// A Sphinx math element: its tag, attributes and content. Inline math is a span with no element
// inside; display math is a div that may hold an equation number (<span class="eqno">) first.
const MATH = /<(span|div) class="math notranslate nohighlight"([^>]*)>([\s\S]*?)<\/\1>/g;
const TEX = { span: /\\\(([\s\S]*)\\\)/, div: /\\\[([\s\S]*)\\\]/ };

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
function unescapeHtml(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name) => {
    if (name[0] === '#') {
      return String.fromCodePoint(name[1].toLowerCase() === 'x'
        ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

export function typesetPage(html) {
  // A TeX input and an SVG output of their own per page, as in the browser: macros defined with
  // \newcommand last for the page, and the page's <defs> hold the glyphs of this page only.
  const svg = new SVG({ fontCache: 'global' });
  const doc = mathjax.document('', { InputJax: new TeX({ packages: PACKAGES }), OutputJax: svg });
  const errors = [];
  let count = 0;
  const body = html.replace(MATH, (whole, tag, attributes, content) => {
    const tex = content.match(TEX[tag]);
    if (!tex) return whole;
    const node = doc.convert(unescapeHtml(tex[1]), { display: tag === 'div' });
    const error = adaptor.tags(node, 'g').find((g) => adaptor.getAttribute(g, 'data-mml-node') === 'merror');
    if (error) {
      errors.push(`${tex[0].slice(0, 200)}: ${adaptor.getAttribute(error, 'data-mjx-error')
        || adaptor.textContent(error)}`);
    }
    count += 1;
    return `<${tag} class="math notranslate nohighlight"${attributes}>`
      + `${content.slice(0, tex.index)}${adaptor.outerHTML(node)}`
      + `${content.slice(tex.index + tex[0].length)}</${tag}>`;
  });
  if (!count) return { html, count, errors };
  const style = `<style id="MJX-SVG-styles">\n${adaptor.textContent(svg.styleSheet(doc))}\n</style>\n`;
  const glyphs = adaptor.outerHTML(svg.svg('svg', {
    id: 'MJX-SVG-global-cache', style: { display: 'none' }, 'aria-hidden': 'true',
  }, [svg.fontCache.getCache()]));
  if (!/<\/head>[\s\S]*<body[^>]*>/.test(body)) errors.push('no </head> and <body> to hold the glyphs');
  const out = body.replace('</head>', `${style}</head>`).replace(/(<body[^>]*>)/, `$1\n${glyphs}`);
  return { html: out, count, errors };
}

function main(argv) {
  const [outdir, ...pages] = argv;
  if (!outdir) {
    console.error('usage: node _ext/typeset_math.mjs <html output folder> <page.html> ...');
    return 2;
  }
  let failed = 0;
  let total = 0;
  for (const page of pages) {
    const file = path.resolve(outdir, page);
    const result = typesetPage(fs.readFileSync(file, 'utf8'));
    for (const error of result.errors) console.error(`${page}: TeX error in ${error}`);
    if (result.errors.length) {
      failed += 1;
    } else if (result.count) {
      fs.writeFileSync(file, result.html);
      total += result.count;
    }
  }
  console.log(`typeset ${total} expressions in ${pages.length - failed} of ${pages.length} pages`);
  return failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = main(process.argv.slice(2));
}
