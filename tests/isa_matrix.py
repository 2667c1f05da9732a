"""Re-run the tests whose stored outputs must hold on every CPU, under several instruction sets.

NumPy and torch choose their vectorised kernels (exp, log, log1p, sums) for the CPU they run on,
and those kernels round differently in the last bit. A notebook output or a doctest recorded on
one machine must therefore not print digits that another CPU computes differently. This script
makes one machine stand in for several: it runs pytest on the notebooks (strict nbval), the
doctests and the accuracy tests once per row of a matrix of instruction sets, selected at run
time by two environment variables that the notebook kernels inherit:

- ``native``: whatever this CPU offers (on x86-64 with AVX-512, NumPy's ``X86_V4`` and
  ``AVX512_ICL`` kernels and torch's ``AVX512``);
- ``x86-64-v3``: NumPy limited to its ``X86_V3`` (AVX2) kernels, torch to ``AVX2``;
- ``baseline``: NumPy at its baseline (no dispatched kernels), torch at ``DEFAULT``.

Before each row it checks, in a fresh interpreter with the row's environment, that the
selection took effect (``numpy._core._multiarray_umath.__cpu_features__`` and
``torch.backends.cpu.get_cpu_capability()``); a row this CPU cannot provide (no AVX2 for
``x86-64-v3``; any row but ``native`` off x86-64) is reported and skipped, never silently
passed. TensorFlow's kernels cannot be switched this way, and other architectures (ARM) and
other builds of the libraries are not covered: see the README.

Usage: ``python tests/isa_matrix.py [--rows native,baseline] [--jobs 2] [pytest arguments]``.
Without pytest arguments it runs ``book``, ``lossnotes`` (doctests) and
``tests/test_accuracy.py``. ``--jobs N`` runs up to N rows at once (each is one pytest process
and one notebook kernel at a time, so on two cores two rows take little longer than one); each
row's output is printed whole when it ends, in the order of the rows.
Exit status 0 when every row that ran passed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import subprocess
import sys
import time

DEFAULT_TARGETS = ["book", "lossnotes", "tests/test_accuracy.py"]

#: NumPy's dispatched x86 feature groups above its baseline, from the oldest to the newest.
_NPY_ABOVE_V3 = "X86_V4 AVX512_ICL AVX512_SPR"

#: name -> (environment, the NumPy dispatch features allowed, torch's capability)
ROWS = {
    "native": ({}, None, None),
    "x86-64-v3": (
        {"NPY_DISABLE_CPU_FEATURES": _NPY_ABOVE_V3, "ATEN_CPU_CAPABILITY": "avx2"},
        {"X86_V3"},
        "AVX2",
    ),
    "baseline": (
        {"NPY_DISABLE_CPU_FEATURES": "X86_V3 " + _NPY_ABOVE_V3, "ATEN_CPU_CAPABILITY": "default"},
        set(),
        "DEFAULT",
    ),
}

_PROBE = """
import json
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
import torch
print(json.dumps({
    "numpy": [f for f in __cpu_dispatch__ if __cpu_features__.get(f)],
    "torch": torch.backends.cpu.get_cpu_capability(),
}))
"""


def _env(extra: dict) -> dict:
    env = dict(os.environ)
    for key in ("NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES", "ATEN_CPU_CAPABILITY"):
        env.pop(key, None)  # each row starts from the CPU's own choice
    env.update(extra)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    return env


def probe(extra: dict) -> dict:
    """The NumPy dispatch features and the torch capability in force under ``extra``."""
    out = subprocess.run([sys.executable, "-c", _PROBE], env=_env(extra), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _unavailable(name: str, native: dict) -> str | None:
    """Why this CPU cannot provide a row (None if it can)."""
    if name == "native":
        return None
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return f"the row selects x86-64 kernels; this machine is {platform.machine()}"
    if name == "x86-64-v3" and "X86_V3" not in native["numpy"]:
        return "this CPU has no AVX2 (NumPy found no X86_V3): the row would be the baseline"
    return None


def _check(name: str, seen: dict) -> str | None:
    """Whether the row's selection took effect (None if it did)."""
    _, allowed, capability = ROWS[name]
    if allowed is not None and not set(seen["numpy"]) <= allowed:
        return f"NumPy still dispatches {sorted(set(seen['numpy']) - allowed)}"
    if capability is not None and seen["torch"] != capability:
        return f"torch runs {seen['torch']} kernels, not {capability}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(ROWS),
                        help=f"comma-separated rows to run (default: {','.join(ROWS)})")
    parser.add_argument("--jobs", type=int, default=1,
                        help="rows run at once (default 1)")
    args, pytest_args = parser.parse_known_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; found {args.jobs}")
    names = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in names if r not in ROWS]
    if unknown or not names:
        parser.error(f"--rows must name rows of {list(ROWS)}; found {args.rows!r}")
    native = probe({})
    results = {}
    runnable = []
    for name in names:
        extra = ROWS[name][0]
        why = _unavailable(name, native)
        if why:
            print(f"\n=== {name}: skipped: {why}", flush=True)
            results[name] = ("skipped", why)
            continue
        seen = probe(extra)
        settings = " ".join(f"{k}={v!r}" for k, v in extra.items()) or "(no variables)"
        print(f"\n=== {name}: {settings}\n    NumPy dispatches {seen['numpy'] or 'nothing'} "
              f"(baseline only otherwise), torch runs {seen['torch']}", flush=True)
        problem = _check(name, seen)
        if problem:
            print(f"=== {name}: the selection did not take effect: {problem}", flush=True)
            results[name] = ("failed", problem)
            continue
        runnable.append(name)

    cmd = [sys.executable, "-m", "pytest", "-q", *(pytest_args or DEFAULT_TARGETS)]

    def run(name: str):
        start = time.perf_counter()
        done = subprocess.run(cmd, env=_env(ROWS[name][0]), check=False,
                              stdout=None if args.jobs == 1 else subprocess.PIPE,
                              stderr=None if args.jobs == 1 else subprocess.STDOUT, text=True)
        return done, f"{time.perf_counter() - start:.0f} s"

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {name: pool.submit(run, name) for name in runnable}
        for name in runnable:
            done, took = futures[name].result()
            if done.stdout is not None:
                print(f"\n=== {name}: pytest output\n{done.stdout}", end="", flush=True)
            code = done.returncode
            results[name] = ("passed" if code == 0 else f"failed (pytest exit {code})", took)
    print("\ninstruction-set matrix:")
    for name in names:
        outcome, detail = results[name]
        print(f"  {name:10s} {outcome}  ({detail})")
    failed = [r for r in results.values() if r[0] not in ("passed", "skipped")]
    ran = [r for r in results.values() if r[0] != "skipped"]
    print(f"{len(ran) - len(failed)} of {len(ran)} rows passed ({len(results) - len(ran)} skipped)")
    return 1 if failed or not ran else 0


if __name__ == "__main__":
    sys.exit(main())
