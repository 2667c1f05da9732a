"""Re-execute notebooks in place, as they are committed: ``make notebooks`` (``NB=...`` for some).

Each notebook runs in a fresh kernel from its own folder, with nbclient's execution timestamps
left out, so that re-running an unchanged notebook leaves its file unchanged (and a diff shows
only outputs that changed). Cells tagged ``raises-exception`` may raise; any other error stops
with the notebook named.
"""

from __future__ import annotations

import pathlib
import sys


def execute(path: pathlib.Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    NotebookClient(nb, timeout=600, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python tests/execute_notebooks.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for name in argv:
        print(f"executing {name}", flush=True)
        execute(pathlib.Path(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
