"""Run every chapter the way Google Colab would: its versions, no lossnotes until the first cell.

``make colab-test`` creates a fresh virtual environment with the versions of
``tests/colab/requirements.txt`` (those Colab ships, as close as this machine's registries
allow: CPU builds) and without lossnotes, points pip at the freshly built wheel
(``PIP_NO_INDEX=1``, ``PIP_FIND_LINKS=_build/dist``: the "PyPI" of this test) and runs this
script there, with TensorFlow's log settings removed from the environment as on Colab. Each
notebook runs in its own kernel from its own folder. The script fails if

- lossnotes can be imported before the first notebook runs (the test would prove nothing);
- a notebook does not start with the install cell, or a cell fails (cells tagged
  ``raises-exception`` may raise);
- after the first notebook lossnotes is not installed in this environment from the wheel, at
  the wheel's version;
- the install cell prints anything once lossnotes is installed.

Outputs that differ from the stored ones (other versions of NumPy, TensorFlow, Keras and torch)
are listed, cell by cell, and written to ``--report``, but do not fail the run: the stored
outputs are those of the book's pinned environment, which strict nbval checks.

Importing this module does nothing (pytest imports it for doctests); run it as a script.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.metadata
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CELL_ID = "install-lossnotes"
TEXT_TYPES = ("text/plain", "text/html", "text/latex")


def texts(cell) -> list[str]:
    """A code cell's outputs as the text nbval compares (streams, text data, errors); a stream
    written in several pieces is joined, as nbval does.

    >>> texts({"outputs": [{"output_type": "stream", "name": "stdout", "text": "a"},
    ...                    {"output_type": "stream", "name": "stdout", "text": "b\\n"},
    ...                    {"output_type": "error", "ename": "E", "evalue": "v"}]})
    ['stdout: ab\\n', 'error: E: v']
    """
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            if out and out[-1].startswith(f"{o['name']}: "):
                out[-1] += o["text"]
            else:
                out.append(f"{o['name']}: {o['text']}")
        elif o.get("output_type") in ("execute_result", "display_data"):
            out += [f"{k}: {o['data'][k]}" for k in TEXT_TYPES if k in o.get("data", {})]
        elif o.get("output_type") == "error":
            out.append(f"error: {o['ename']}: {o['evalue']}")
    return out


def installed_lossnotes() -> dict | None:
    """Where and at which version a fresh interpreter of this environment finds lossnotes."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", "import importlib.metadata as m, lossnotes; "
         "print(lossnotes.__file__); print(m.version('lossnotes'))"],
        capture_output=True, text=True, cwd="/")
    if done.returncode != 0:
        return None
    path, version = done.stdout.split()
    return {"path": path, "version": version}


def run_notebook(path: Path, timeout: int) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    stored = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    result = {"notebook": str(path.relative_to(ROOT)), "problems": [], "differences": []}
    codes = [c for c in nb.cells if c.cell_type == "code"]
    if not codes or codes[0].get("id") != CELL_ID:
        result["problems"].append(f"the first code cell is not the install cell ({CELL_ID})")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.monotonic()
    try:
        client.execute()
    except CellExecutionError as err:
        result["problems"].append(f"a cell failed:\n{err}")
    except Exception as err:  # a timeout or a dead kernel: report it, run the other notebooks
        result["problems"].append(f"{type(err).__name__}: {err}")
    result["seconds"] = round(time.monotonic() - start, 1)
    for old, new in zip(stored.cells, nb.cells, strict=True):
        if new.cell_type != "code" or new.get("execution_count") is None:
            continue
        if new.get("id") == CELL_ID:
            result["install_cell_output"] = texts(new)
        elif texts(old) != texts(new):
            result["differences"].append({"cell": new.get("id"), "stored": texts(old),
                                          "colab": texts(new)})
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of notebooks")
    parser.add_argument("--wheel", type=Path, required=True, help="the wheel pip should take")
    parser.add_argument("--timeout", type=int, default=180, help="seconds per cell")
    parser.add_argument("--report", type=Path, help="write the results here as JSON")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at a time")
    args = parser.parse_args(argv)

    failures = []
    versions = {d: importlib.metadata.version(d) for d in
                ("numpy", "tensorflow-cpu", "keras", "torch", "matplotlib", "mpmath")}
    print(f"Colab-like environment: Python {sys.version.split()[0]}, "
          + ", ".join(f"{k} {v}" for k, v in versions.items()))
    if importlib.util.find_spec("lossnotes") is not None or installed_lossnotes():
        failures.append("lossnotes is installed before any notebook ran")
    wheel_version = args.wheel.name.split("-")[1]

    notebooks = sorted(p for p in args.folder.resolve().glob("*.ipynb"))
    # The first notebook alone (its first cell installs lossnotes), then the others, --jobs at
    # a time, each in its own kernel.
    runs = [run_notebook(notebooks[0], args.timeout)] if notebooks else []
    first_install = installed_lossnotes()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs += pool.map(lambda path: run_notebook(path, args.timeout), notebooks[1:])
    results, passed, failed = [], 0, 0
    for i, r in enumerate(runs):
        if i == 0:
            found = first_install
            r["installed"] = found
            if found is None:
                r["problems"].append("lossnotes is not importable after the first notebook")
            elif found["version"] != wheel_version or not found["path"].startswith(sys.prefix):
                r["problems"].append(f"lossnotes {found} is not the wheel's {wheel_version} "
                                     f"in {sys.prefix}")
        elif r.get("install_cell_output"):
            r["problems"].append(f"the install cell printed {r['install_cell_output']} with "
                                 "lossnotes installed")
        ok = not r["problems"]
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {r['notebook']}: {r['seconds']} s, "
              f"{len(r['differences'])} cells print other text than stored"
              + (f"; the install cell installed lossnotes {r['installed']['version']} from the "
                 "wheel" if r.get("installed") else ""), flush=True)
        for problem in r["problems"]:
            print("     " + problem.replace("\n", "\n     "))
        for d in r["differences"]:
            print(f"     differs: cell {d['cell']}: stored {str(d['stored'])[:150]!s} / here "
                  f"{str(d['colab'])[:150]!s}")
        results.append(r)
    if not notebooks:
        failures.append(f"no notebooks in {args.folder}")
    for problem in failures:
        print("FAIL:", problem)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"python": sys.version.split()[0],
                                           "versions": versions, "failures": failures,
                                           "notebooks": results}, indent=2))
    failed += len(failures)
    print(f"colab: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
