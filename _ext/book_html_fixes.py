"""Sphinx fixes for the book's HTML, loaded through _config.yml (sphinx.local_extensions).

1. Sphinx 7.4 writes every inline script that an extension adds after the builder has started
   twice: once as added (filename None), and once more when prepare_writing re-adds the
   registered scripts (filename ""), which its duplicate check counts as a different script.
   sphinx-togglebutton's and sphinx-thebe's settings are such scripts, and the second
   `const THEBE_JS_URL = ...` is a SyntaxError in the console of every page. Keep the first.
2. With launch_buttons.thebe off there is no "live code" button, so sphinx-thebe's script and
   stylesheet serve nothing, and its settings name a script on unpkg.com: leave them out, so
   that no page refers to another host for a script (`make browser-test` checks this).
3. Figures. Every image a notebook cell outputs must have alt text (MyST-NB cell metadata
   ``mystnb: {image: {alt: ...}}``) and be a figure with a caption (``mystnb: {figure:
   {caption: ..., name: ...}}``); one without is a build warning, so an error under ``-W``. In
   the page, each such image gets its pixel size as width/height attributes (the browser
   reserves its box before it loads: no layout shift), loads lazily, and is wrapped in a link
   to the image file, so that a phone can open it at full size.
4. The references page: Sphinx writes ``role="list"`` around citations that carry the
   deprecated ``role="doc-biblioentry"``, which assistive technology does not take as list
   items; they become ``role="listitem"``.
5. A ``<meta name="description">`` from the page's first paragraph.
6. Page weight (``build-finished``, over every written page): FontAwesome's 1.5 MB JavaScript is
   left out (the theme's stylesheet draws the same icons from its web fonts), and the scripts
   that nothing needs before the page is shown (search, copy buttons, toggles, the theme's own)
   load with ``defer``; FontAwesome's icon fonts are cut down to the icons the pages use.
7. Mathematics typeset when the book is built (``build-finished``): ``_ext/typeset_math.mjs``
   (MathJax 3 in Node, from the npm package mathjax-full) replaces the TeX of every math element
   with MathJax's SVG output and the expression's MathML for screen readers, so no page
   loads MathJax or typesets in the browser (a 1.3 MB script and seconds of a phone's main
   thread, and inline TeX swapped after layout, which moved the text below it). Sphinx's
   MathJax script and its settings are left out of every page; a TeX error fails the build.
8. The colour mode is settled in the <head>. pydata-sphinx-theme's inline script sets
   ``data-theme="auto"`` there, and its deferred script changes it to "light" or "dark" once the
   whole page is parsed, which makes the browser work out the style of every element again
   (20,000 on the API page: a long task that blocks a phone for half a second or more). A
   small inline script right after the theme's gives ``data-theme`` its final value at once,
   as the theme's script will (the reader's choice, or the system's with "auto").
"""

from __future__ import annotations

import html
import posixpath
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.images import get_image_size

logger = logging.getLogger(__name__)

# _config.yml's mathjax_path: sphinx.ext.mathjax needs one, and no page loads it (see 7.).
MATHJAX_PLACEHOLDER = "mathjax-typeset-at-build-time.js"


def _thebe_enabled(app: Sphinx) -> bool:
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe"))


def _is_thebe(asset: Any) -> bool:
    name = str(getattr(asset, "filename", "") or "")
    body = (getattr(asset, "attributes", None) or {}).get("body", "")
    return name.endswith(("sphinx-thebe.js", "sphinx-thebe.css")) or "THEBE_JS_URL" in body


def _is_mathjax(asset: Any) -> bool:
    name = str(getattr(asset, "filename", "") or "")
    body = (getattr(asset, "attributes", None) or {}).get("body", "")
    return (posixpath.basename(name.split("?")[0]) == MATHJAX_PLACEHOLDER
            or body.startswith("window.MathJax"))


def _clean(assets: list, drop_thebe: bool) -> None:
    seen, keep = set(), []
    for asset in assets:
        attributes = getattr(asset, "attributes", None) or {}
        key = (str(getattr(asset, "filename", asset) or ""), tuple(sorted(attributes.items())))
        if key in seen or (drop_thebe and _is_thebe(asset)) or _is_mathjax(asset):
            continue
        seen.add(key)
        keep.append(asset)
    assets[:] = keep  # in place: these are the lists the page template reads


def clean_page_assets(app: Sphinx, pagename, templatename, context: dict, doctree) -> None:
    drop_thebe = not _thebe_enabled(app)
    for key in ("script_files", "css_files"):
        if isinstance(context.get(key), list):
            _clean(context[key], drop_thebe)


# ---- figures ------------------------------------------------------------------------------------
def _in_cell_output(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.container) and "cell_output" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


def check_figures(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for image in doctree.findall(nodes.image):
        if not _in_cell_output(image):
            continue
        where = f"{docname}: the image output of a notebook cell"
        if not str(image.get("alt", "")).strip():
            logger.warning(f"{where} has no alt text: set the cell metadata "
                           "mystnb: {image: {alt: ...}}", location=image)
        figure = image.parent
        if not (isinstance(figure, nodes.figure) and any(
                isinstance(child, nodes.caption) and child.astext().strip() for child in figure)):
            logger.warning(f"{where} has no caption: set the cell metadata "
                           "mystnb: {figure: {caption: ..., name: ...}}", location=image)


_IMG = re.compile(r'<img ([^>]*?)\s*/?>')
_SRC = re.compile(r'\bsrc="((?:\.\./)*_images/([^"]+))"')


def _sized_linked_images(app: Sphinx, body: str) -> str:
    sources = {Path(dest).name: src for src, dest in app.builder.images.items()}

    def replace(match: re.Match) -> str:
        attributes = match.group(1)
        src = _SRC.search(attributes)
        if not src:
            return match.group(0)
        size = None
        if src.group(2) in sources:
            size = get_image_size(str(Path(app.srcdir, sources[src.group(2)])))
        if size and "width=" not in attributes:
            attributes += f' width="{size[0]}" height="{size[1]}"'
        if "loading=" not in attributes:
            attributes += ' loading="lazy"'
        attributes += ' decoding="async"'
        return (f'<a class="reference internal image-reference lossnotes-full-size" '
                f'href="{html.escape(src.group(1))}"><img {attributes} /></a>')

    return _IMG.sub(replace, body)


def _description(doctree) -> str:
    for paragraph in doctree.findall(nodes.paragraph):
        if _in_cell_output(paragraph) or any(
                "math" in node.tagname for node in paragraph.findall(nodes.Element)):
            continue  # an output, or TeX that a description would show raw
        text = " ".join(paragraph.astext().split())
        if len(text) >= 40:
            return text if len(text) <= 200 else text[:197].rsplit(" ", 1)[0] + " ..."
    return ""


def page_fixes(app: Sphinx, pagename, templatename, context: dict, doctree) -> None:
    body = context.get("body")
    if isinstance(body, str):
        body = _sized_linked_images(app, body)
        body = body.replace(' role="doc-biblioentry"', ' role="listitem"')
        context["body"] = body
    if doctree is not None:
        description = _description(doctree)
        if description:
            context["metatags"] = (context.get("metatags") or "") + (
                f'\n<meta name="description" content="{html.escape(description)}" />')


# ---- page weight ---------------------------------------------------------------------------------
_FONTAWESOME = re.compile(
    r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')
_DEFER = ("searchtools.js", "language_data.js", "searchindex.js", "doctools.js",
          "sphinx_highlight.js", "clipboard.min.js", "copybutton.js", "togglebutton.js",
          "design-tabs.js", "sphinx-book-theme.js")
_SCRIPT = re.compile(r'<script (?:([^>]*?) )?src="([^"]*)"></script>')


def _defer(match: re.Match) -> str:
    attributes, src = match.group(1) or "", match.group(2)
    name = posixpath.basename(src.split("?")[0])
    if name in _DEFER and "defer" not in attributes:
        attributes = (attributes + " defer").strip()
    return f'<script {attributes + " " if attributes else ""}src="{src}"></script>'


_ICON_FONTS = ("fa-solid-900", "fa-regular-400", "fa-brands-400")


def subset_icon_fonts(outdir: Path) -> None:
    """Write _static/fonts/<font>.subset.woff: FontAwesome's fonts cut down to the icons that the
    pages and scripts name (book/_static/lossnotes.css declares them after the theme's, so the
    browser loads these few kilobytes instead of the theme's 274 KB)."""
    from fontTools import subset, ttLib

    static = outdir / "_static"
    css = (static / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    glyphs = {}
    for selectors, code in re.findall(r'([^{}]+)\{content:"\\([0-9a-f]{4,5})"\}', css):
        for selector in selectors.split(","):
            name = re.fullmatch(r"\s*\.(fa-[a-z0-9-]+):before\s*", selector)
            if name:
                glyphs[name.group(1)] = int(code, 16)
    named = set()
    for file in [*outdir.rglob("*.html"), *static.rglob("*.js")]:
        if "mathjax" not in file.parts:
            named.update(re.findall(r"fa-[a-z0-9-]+", file.read_text(encoding="utf-8")))
    codepoints = sorted(glyphs[name] for name in named if name in glyphs)
    (static / "fonts").mkdir(exist_ok=True)
    for font_name in _ICON_FONTS:
        font = ttLib.TTFont(static / "vendor" / "fontawesome" / "webfonts" / f"{font_name}.ttf")
        options = subset.Options()
        options.flavor = "woff"  # zlib; woff2 would need brotli
        options.layout_features = ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        font.flavor = "woff"
        font.save(static / "fonts" / f"{font_name}.subset.woff")


# ---- mathematics ---------------------------------------------------------------------------------
_TYPESET = Path(__file__).with_name("typeset_math.mjs")


def typeset_math(outdir: Path) -> None:
    """Run _ext/typeset_math.mjs on the pages that hold mathematics (it leaves alone the pages
    typeset by an earlier build, which Sphinx did not write again)."""
    pages = [str(page.relative_to(outdir)) for page in sorted(outdir.rglob("*.html"))
             if 'class="math notranslate nohighlight"' in page.read_text(encoding="utf-8")]
    node = shutil.which("node")
    if node is None:
        raise ExtensionError("node not found: the book's mathematics is typeset when it is "
                             "built, by MathJax in Node.js (npm package mathjax-full). Install "
                             "Node.js and npm, run `npm ci`, then build again.")
    result = subprocess.run([node, str(_TYPESET), str(outdir), *pages], capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        hint = (" (run `npm ci` first: it installs mathjax-full from package-lock.json)"
                if "Cannot find module" in result.stderr else "")
        raise ExtensionError(f"typesetting the mathematics failed{hint}:\n{result.stderr}")
    logger.info(result.stdout.strip())


def lighter_pages(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    typeset_math(Path(app.outdir))
    subset_icon_fonts(Path(app.outdir))
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if Path(page).name == "search.html":
            new = _FONTAWESOME.sub("", text)
        else:
            new = _SCRIPT.sub(_defer, _FONTAWESOME.sub("", text))
        if new != text:
            page.write_text(new, encoding="utf-8")


# ---- colour mode --------------------------------------------------------------------------------
# What pydata-sphinx-theme.js's setMode sets, computed before the body is parsed.
SETTLE_THEME = (
    '(() => { let mode = localStorage.getItem("mode") || "auto"; '
    'if (mode !== "light" && mode !== "dark") '
    'mode = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"; '
    'document.documentElement.dataset.theme = mode; })();')


def setup(app: Sphinx) -> dict:
    app.add_js_file(None, body=SETTLE_THEME, priority=1)
    app.connect("html-page-context", clean_page_assets, priority=900)
    app.connect("html-page-context", page_fixes, priority=901)
    app.connect("doctree-resolved", check_figures)
    app.connect("build-finished", lighter_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
