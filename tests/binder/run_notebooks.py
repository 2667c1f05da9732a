"""Run every notebook the way Binder would, and measure each kernel's peak memory.

`make binder-test` builds a fresh virtual environment from exactly the files in binder/
(runtime.txt's Python, requirements.txt, postBuild) and runs this script through binder/start,
with TensorFlow's two log settings removed from the environment first, so that only start can
have set them. For each notebook it starts a kernel in the notebook's folder (as JupyterLab
does), runs every cell, and records

- the kernel's peak resident memory: its VmHWM (the kernel process's own high-water mark,
  exact) and, polled every 20 ms, the resident memory of the kernel and all its children;
- cells that failed, and stderr output that the stored notebook does not have (for example
  TensorFlow log lines, which would mean start did not take effect).

It also checks that binder/ pins the same versions as the root requirements.txt and that no
CUDA build was installed. It fails if any check fails or a kernel's peak exceeds --max-mib.

Importing this module does nothing (pytest imports it for doctests); run it as a script.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024

PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)")


def read_pins(path: Path) -> dict[str, str]:
    """Map normalised package name to its `==` version in a requirements file.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "r.txt"
    ...     text = "--extra-index-url x\\n# c\\nTorch==2.13.0+cpu\\nnumpy==2.4.6  # c\\n-e .\\n"
    ...     _ = p.write_text(text)
    ...     read_pins(p)
    {'torch': '2.13.0+cpu', 'numpy': '2.4.6'}
    """
    pins = {}
    for line in path.read_text().splitlines():
        m = PIN.match(line)
        if m:
            pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return pins


def check_pins(binder_req: Path, root_req: Path) -> list[str]:
    """Binder must pin what the book is built and tested with (a +cpu local label aside)."""
    root = read_pins(root_req)
    problems = []
    for name, version in read_pins(binder_req).items():
        if name not in root:
            problems.append(f"{binder_req.name}: {name}=={version} is not pinned in {root_req}")
        elif version.split("+")[0] != root[name].split("+")[0]:
            problems.append(
                f"{name}: binder pins {version}, {root_req.name} pins {root[name]}"
            )
    return problems


def check_cpu_only() -> list[str]:
    """No CUDA wheels: torch is a +cpu build, no nvidia-* packages, TensorFlow is tensorflow-cpu."""
    names = {
        re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version
        for d in importlib.metadata.distributions()
    }
    problems = [f"CUDA package installed: {n}=={v}" for n, v in names.items()
                if n.startswith("nvidia-") or "cuda" in n]
    if "torch" in names and not names["torch"].endswith("+cpu"):
        problems.append(f"torch {names['torch']} is not a +cpu build")
    if "tensorflow" in names:
        problems.append(f"tensorflow {names['tensorflow']} installed (the GPU-capable build)")
    return problems


def tree_rss(proc) -> int:
    """Resident memory of a process and all its descendants, in bytes (0 once it has gone)."""
    import psutil

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def vm_hwm(pid: int) -> int:
    """The kernel's own peak resident memory (VmHWM from /proc), in bytes; 0 if unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def stderr_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stderr")


def run_notebook(path: Path, timeout: int) -> dict:
    import nbformat
    import psutil
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    stored = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    result = {"notebook": str(path.relative_to(ROOT)), "problems": []}
    state = {"pid": None, "tree_peak": 0, "hwm": 0, "stop": threading.Event()}

    def poll():
        proc = psutil.Process(state["pid"])
        while not state["stop"].is_set():
            state["tree_peak"] = max(state["tree_peak"], tree_rss(proc))
            state["hwm"] = max(state["hwm"], vm_hwm(state["pid"]))
            state["stop"].wait(0.02)

    def on_start(notebook):
        state["pid"] = client.km.provisioner.process.pid
        exe = psutil.Process(state["pid"]).cmdline()[0]
        if Path(exe).resolve() != Path(sys.executable).resolve():
            result["problems"].append(f"kernel runs {exe}, not this environment's Python")
        threading.Thread(target=poll, daemon=True).start()

    def on_cell_complete(cell, cell_index):
        # Read the exact high-water mark while the kernel is certainly alive.
        state["hwm"] = max(state["hwm"], vm_hwm(state["pid"]))

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_notebook_start=on_start, on_cell_complete=on_cell_complete,
    )
    start = time.monotonic()
    try:
        client.execute()
    except CellExecutionError as err:
        result["problems"].append(f"a cell failed:\n{err}")
    except Exception as err:  # a timeout or a dead kernel: report it, run the other notebooks
        result["problems"].append(f"{type(err).__name__}: {err}")
    finally:
        state["stop"].set()
    result["seconds"] = round(time.monotonic() - start, 1)
    result["kernel_vmhwm_mib"] = round(state["hwm"] / MIB)
    result["tree_rss_peak_mib"] = round(state["tree_peak"] / MIB)
    result["peak_mib"] = max(result["kernel_vmhwm_mib"], result["tree_rss_peak_mib"])

    for i, (old, new) in enumerate(zip(stored.cells, nb.cells, strict=True)):
        if new.cell_type == "code" and stderr_of(new) and not stderr_of(old):
            result["problems"].append(
                f"cell {i} writes to stderr, which the stored notebook does not:\n"
                + stderr_of(new)[:2000]
            )
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of notebooks (searched recursively)")
    parser.add_argument("--max-mib", type=int, required=True,
                        help="fail if a notebook's kernel peaks above this many MiB")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    parser.add_argument("--report", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)

    failures = []
    for var in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS"):
        if var not in os.environ:
            failures.append(f"{var} is not set: run this through binder/start")
    failures += check_pins(ROOT / "binder" / "requirements.txt", ROOT / "requirements.txt")
    failures += check_cpu_only()
    for problem in failures:
        print("FAIL:", problem)

    site = Path(sys.prefix)
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file() and not f.is_symlink())
    print(f"Binder environment: Python {sys.version.split()[0]}, {size / MIB:,.0f} MiB "
          f"installed (including the harness: ipykernel, nbclient, psutil)")

    notebooks = sorted(p for p in args.folder.resolve().rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
    results, passed, failed = [], 0, 0
    for path in notebooks:
        r = run_notebook(path, args.timeout)
        if r["peak_mib"] > args.max_mib:
            r["problems"].append(f"peak memory {r['peak_mib']} MiB > budget {args.max_mib} MiB")
        ok = not r["problems"]
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {r['notebook']}: {r['seconds']} s, peak "
              f"{r['peak_mib']} MiB (kernel VmHWM {r['kernel_vmhwm_mib']} MiB, kernel tree "
              f"polled {r['tree_rss_peak_mib']} MiB)", flush=True)
        for problem in r["problems"]:
            print("     " + problem.replace("\n", "\n     "))
        results.append(r)

    if results:
        top = max(results, key=lambda r: r["peak_mib"])
        print(f"Peak memory over all notebooks: {top['peak_mib']} MiB ({top['notebook']}); "
              f"budget {args.max_mib} MiB per kernel")
    if not notebooks:
        failures.append(f"no notebooks found under {args.folder}")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(
            {"python": sys.version.split()[0], "env_mib": round(size / MIB),
             "max_mib": args.max_mib, "failures": failures, "notebooks": results}, indent=2))
    failed += len(failures)
    print(f"binder: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
