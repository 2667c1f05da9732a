"""Sphinx fixes for the book's HTML, loaded through _config.yml (sphinx.local_extensions).

1. Sphinx 7.4 writes every inline script that an extension adds after the builder has started
   twice: once as added (filename None), and once more when prepare_writing re-adds the
   registered scripts (filename ""), which its duplicate check counts as a different script.
   sphinx-togglebutton's and sphinx-thebe's settings are such scripts, and the second
   `const THEBE_JS_URL = ...` is a SyntaxError in the console of every page. Keep the first.
2. With launch_buttons.thebe off there is no "live code" button, so sphinx-thebe's script and
   stylesheet serve nothing, and its settings name a script on unpkg.com: leave them out, so
   that no page refers to another host for a script (`make browser-test` checks this).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _thebe_enabled(app: Sphinx) -> bool:
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe"))


def _is_thebe(asset: Any) -> bool:
    name = str(getattr(asset, "filename", "") or "")
    body = (getattr(asset, "attributes", None) or {}).get("body", "")
    return name.endswith(("sphinx-thebe.js", "sphinx-thebe.css")) or "THEBE_JS_URL" in body


def _clean(assets: list, drop_thebe: bool) -> None:
    seen, keep = set(), []
    for asset in assets:
        attributes = getattr(asset, "attributes", None) or {}
        key = (str(getattr(asset, "filename", asset) or ""), tuple(sorted(attributes.items())))
        if key in seen or (drop_thebe and _is_thebe(asset)):
            continue
        seen.add(key)
        keep.append(asset)
    assets[:] = keep  # in place: these are the lists the page template reads


def clean_page_assets(app: Sphinx, pagename, templatename, context: dict, doctree) -> None:
    drop_thebe = not _thebe_enabled(app)
    for key in ("script_files", "css_files"):
        if isinstance(context.get(key), list):
            _clean(context[key], drop_thebe)


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", clean_page_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
