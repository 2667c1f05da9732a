"""The first code cell of every chapter: install lossnotes where it is missing (Colab).

Google Colab opens a chapter straight from the repository with TensorFlow and PyTorch already
installed, but not lossnotes. This cell installs it there: from PyPI, or, if PyPI does not have
it, from the repository named in ``_config.yml`` (``repository.url``). Where lossnotes can be
imported (the book's environment, Binder, a reader's own) it does nothing and prints nothing,
so strict nbval compares it like any other cell: its stored output is empty. It is tagged
``remove-cell``, so the rendered book does not show it.

``python tests/colab/install_cell.py book/*.ipynb`` puts the cell into notebooks, or brings an
existing one up to date, after their title cell. Nothing else in a notebook changes: no cell is
executed and no other cell is touched. ``tests/test_packaging.py`` checks that every chapter has
the cell exactly as this module writes it (so a new ``repository.url`` fails there until the
script is run again).

Importing this module does nothing (pytest imports it for doctests); run it as a script.
"""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CELL_ID = "install-lossnotes"
TAGS = ["remove-cell"]

TEMPLATE = '''\
# On Colab, or wherever lossnotes is missing, install it (here it is installed: nothing happens).
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("lossnotes") is None:
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    if subprocess.run([*pip, "lossnotes"]).returncode != 0:  # not on PyPI: the repository
        subprocess.run([*pip, "git+{url}"], check=True)
    importlib.invalidate_caches()'''


def repository_url(config: pathlib.Path = ROOT / "_config.yml") -> str:
    """``repository.url`` of the book's ``_config.yml``."""
    import yaml

    return yaml.safe_load(config.read_text())["repository"]["url"]


def source(url: str) -> str:
    """The cell's code for a repository URL.

    >>> print(source("https://example.org/a/b").splitlines()[-2].strip())
    subprocess.run([*pip, "git+https://example.org/a/b"], check=True)
    """
    return TEMPLATE.format(url=url)


def cell(url: str):
    """The cell: executed (count 0, before the chapter's cell 1) with no output."""
    import nbformat

    new = nbformat.v4.new_code_cell(source(url), id=CELL_ID)
    new.metadata["tags"] = list(TAGS)
    new.execution_count = 0
    return new


def insert(path: pathlib.Path, url: str) -> bool:
    """Put the cell into the notebook at ``path`` (after its first, title, cell) or replace the
    one there; True if the file changed."""
    import nbformat

    before = path.read_text()
    nb = nbformat.reads(before, as_version=4)
    ours = [i for i, c in enumerate(nb.cells) if c.get("id") == CELL_ID]
    if ours:
        nb.cells[ours[0]] = cell(url)
    else:
        at = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
        nb.cells.insert(at, cell(url))
    after = nbformat.writes(nb) + "\n"
    if after != before:
        path.write_text(after)
    return after != before


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python tests/colab/install_cell.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    url = repository_url()
    for name in argv:
        changed = insert(pathlib.Path(name), url)
        print(f"{name}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
