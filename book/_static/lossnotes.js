// The book's own script (loaded with defer on every page by _config.yml). Small repairs of what
// the themes do, each checked by `make browser-test` (tests/browser/check_book.mjs):
//
// 1. Navigation buttons. pydata-sphinx-theme 0.17.1 and sphinx-book-theme 1.3.0 bind their
//    sidebar handlers to the first `.primary-toggle` / `.secondary-toggle` of the page, a button
//    in the hidden top navbar (pydata-sphinx-theme#2451), so the visible ☰ and page-contents
//    buttons in the article header did nothing. A click on any other toggle is passed on to
//    that first one, which opens the sidebar as a dialog on narrow screens and collapses it on
//    wide ones, as the themes intend.
// 2. Accessible names. A control whose aria-label does not contain its visible text ("Toggle
//    hidden content" on a button that reads "Show code cell source", "Search" on the one that
//    reads "Search Ctrl+K") is named by its visible text instead.
// 3. Scroll boxes. An output, equation, table or code block that overflows its box gets
//    tabindex=0, so a keyboard can focus and scroll it (recomputed when a box changes size;
//    <html data-lossnotes-scroll-boxes> holds the width at which they were last marked).
// 4. Search results read well: the summary under each result is the text of the page it links
//    to, in which an expression typeset when the book was built (_ext/typeset_math.mjs) is
//    MathJax's output and hidden MathML; it is given as a line of plain text (α/(1 + e^(−x)),
//    not "α1+e−x").
// 5. Landmarks. The primary sidebar (the book's title, search and chapter list) is a named
//    region, so that no content of the page lies outside a landmark.
(() => {
  'use strict';

  // ---- 1. navigation buttons ------------------------------------------------------------------
  function forwardToggles(selector) {
    const toggles = [...document.querySelectorAll(selector)];
    const bound = toggles[0];
    toggles.slice(1).forEach((button) => {
      button.addEventListener('click', (event) => {
        event.preventDefault();
        event.stopImmediatePropagation();
        bound.click();
      }, true);
    });
  }

  // ---- 2. accessible names --------------------------------------------------------------------
  function visibleText(el) {
    return (el.innerText || '').replace(/\s+/g, ' ').trim();
  }

  function nameByVisibleText() {
    document.querySelectorAll('button[aria-label], summary[aria-label], a[aria-label]').forEach((el) => {
      const text = visibleText(el);
      if (text && !el.getAttribute('aria-label').toLowerCase().includes(text.toLowerCase())) {
        el.removeAttribute('aria-label');
      }
    });
  }

  // ---- 3. scroll boxes ------------------------------------------------------------------------
  const SCROLL_BOXES = [
    'div.cell_output', 'div.cell_input', 'div.math', 'div.highlight pre',
    '.pst-scrollable-table-container', '.table-wrapper', '.output pre',
  ].join(', ');

  // Every box is measured first, then marked: a change between two measurements would make the
  // browser lay the page out again for the next one (hundreds of times on a long page).
  function markScrollBoxes() {
    const boxes = [...document.querySelectorAll(SCROLL_BOXES)].map((el) => {
      const style = getComputedStyle(el);
      return [el, (el.scrollWidth > el.clientWidth && /auto|scroll/.test(style.overflowX))
        || (el.scrollHeight > el.clientHeight && /auto|scroll/.test(style.overflowY))];
    });
    boxes.forEach(([el, scrolls]) => {
      if (scrolls && !el.hasAttribute('tabindex')) {
        el.setAttribute('tabindex', '0');
        el.dataset.lossnotesScroll = '';
      } else if (!scrolls && el.hasAttribute('data-lossnotes-scroll')) {
        el.removeAttribute('tabindex');
        delete el.dataset.lossnotesScroll;
      }
      if (el.matches('div.math')) el.classList.toggle('lossnotes-scroll-cue', scrolls);
    });
    // The width the boxes were last marked at ("pending" while a marking is scheduled):
    // `make browser-test` waits for it after a resize.
    document.documentElement.dataset.lossnotesScrollBoxes = String(document.documentElement.clientWidth);
  }

  // A box's width changes when the window does, and also after it: the theme slides its
  // sidebars in and out with a CSS transition, so a column goes on narrowing for a while after
  // the last resize event (at 1024 px, from 851 to 723 px over ~120 ms). A ResizeObserver on the
  // boxes sees every such change; the boxes are marked again once they have kept still for 150 ms.
  let markTimer;
  function scheduleMarking() {
    document.documentElement.dataset.lossnotesScrollBoxes = 'pending';
    clearTimeout(markTimer);
    markTimer = setTimeout(markScrollBoxes, 150);
  }

  function watchScrollBoxes() {
    window.addEventListener('resize', scheduleMarking);
    if (typeof ResizeObserver === 'undefined') return;
    let first = true; // the observer reports every box once when it starts: they were just marked
    const observer = new ResizeObserver(() => {
      if (first) first = false; else scheduleMarking();
    });
    document.querySelectorAll(SCROLL_BOXES).forEach((el) => observer.observe(el));
  }

  // ---- 4. search results ----------------------------------------------------------------------
  // MathML as one line of text: fractions, scripts and roots get the signs a reader would type.
  function mathText(node) {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return '';
    const parts = [...node.children].map(mathText);
    const group = (text) => (text.trim().length > 1 ? `(${text.trim()})` : text.trim());
    switch (node.localName) {
      case 'mo': {
        const op = node.textContent.replace(/\u2061|\u2062|\u2063/g, '');
        return /^[=<>+\u2212\u00b1\u00d7\u2192\u2248\u2260\u2264\u2265]$/.test(op) ? ` ${op} ` : op;
      }
      case 'mi': case 'mn': case 'mtext': case 'ms':
        return node.textContent.replace(/\u2061|\u2062|\u2063/g, '');
      case 'mfrac': return `${group(parts[0] ?? '')}/${group(parts[1] ?? '')}`;
      case 'msup': case 'mover': return `${parts[0] ?? ''}^${group(parts[1] ?? '')}`;
      case 'msub': case 'munder': return `${parts[0] ?? ''}_${group(parts[1] ?? '')}`;
      case 'msubsup': case 'munderover':
        return `${parts[0] ?? ''}_${group(parts[1] ?? '')}^${group(parts[2] ?? '')}`;
      case 'msqrt': return `√${group(parts.join(''))}`;
      case 'mroot': return `${group(parts[0] ?? '')}^(1/${parts[1] ?? ''})`;
      case 'mtd': return `${parts.join('')} `;
      case 'mtr': case 'mlabeledtr': return `${parts.join('').trim()}; `;
      default: return parts.join('');
    }
  }

  function readableSearchSummaries() {
    const search = typeof Search === 'undefined' ? null : Search; // sphinx's searchtools.js
    if (!search?.htmlToText || search.htmlToText.lossnotes) return;
    const htmlToText = search.htmlToText;
    search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, 'text/html');
      doc.querySelectorAll('mjx-container').forEach((container) => {
        const mathml = container.querySelector('math');
        const text = mathml ? mathText(mathml).replace(/\s+/g, ' ').trim() : '';
        container.replaceWith(doc.createTextNode(text));
      });
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
    search.htmlToText.lossnotes = true;
  }

  // After the themes' and sphinx-togglebutton's own DOMContentLoaded handlers (registered by
  // scripts that run before this deferred one).
  document.addEventListener('DOMContentLoaded', () => {
    const sidebar = document.getElementById('pst-primary-sidebar');
    if (sidebar && !sidebar.hasAttribute('role')) {
      sidebar.setAttribute('role', 'region');
      sidebar.setAttribute('aria-label', 'Book');
    }
    forwardToggles('.primary-toggle');
    forwardToggles('.secondary-toggle');
    nameByVisibleText();
    markScrollBoxes();
    watchScrollBoxes();
  });
  readableSearchSummaries();
  // Fonts change widths: once they are in, look at the scroll boxes again.
  window.addEventListener('load', markScrollBoxes);
})();
