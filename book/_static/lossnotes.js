// The book's own script (loaded with defer on every page by _config.yml). Small repairs of what
// the themes and MathJax do, each checked by `make browser-test` (tests/browser/check_book.mjs):
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
//    tabindex=0, so a keyboard can focus and scroll it (recomputed when the window resizes).
// 4. Mathematics out of the tab order. MathJax's menu setting "Include in Tab Order" starts off
//    (_config.yml, mathjax3_config), so the 200 expressions of a chapter are not 200 tab stops;
//    the first expression of a page stays one, so that MathJax's menu (and that setting) can be
//    reached from the keyboard (Shift+F10 or the context-menu key).
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

  function markScrollBoxes() {
    document.querySelectorAll(SCROLL_BOXES).forEach((el) => {
      const style = getComputedStyle(el);
      const scrolls = (el.scrollWidth > el.clientWidth && /auto|scroll/.test(style.overflowX))
        || (el.scrollHeight > el.clientHeight && /auto|scroll/.test(style.overflowY));
      if (scrolls && !el.hasAttribute('tabindex')) {
        el.setAttribute('tabindex', '0');
        el.dataset.lossnotesScroll = '';
      } else if (!scrolls && el.hasAttribute('data-lossnotes-scroll')) {
        el.removeAttribute('tabindex');
        delete el.dataset.lossnotesScroll;
      }
      if (el.matches('div.math')) el.classList.toggle('lossnotes-scroll-cue', scrolls);
    });
  }

  // ---- 4. mathematics and the tab order -------------------------------------------------------
  function mathTabOrder() {
    const settings = window.MathJax?.startup?.document?.menu?.settings;
    if (!settings || settings.inTabOrder) return;
    // With the setting off MathJax gives no expression a tabindex; the first one gets 0.
    // (The first one a reader can see: not one in a folded cell or dropdown.)
    const first = [...document.querySelectorAll('mjx-container')]
      .find((el) => el.getClientRects().length > 0);
    if (first && !first.hasAttribute('tabindex')) first.setAttribute('tabindex', '0');
  }

  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(markScrollBoxes, 150);
  });

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
  });
  window.addEventListener('load', () => {
    markScrollBoxes();
    const typeset = window.MathJax?.startup?.promise;
    if (typeset) {
      typeset.then(() => { mathTabOrder(); markScrollBoxes(); });
    }
  });
})();
