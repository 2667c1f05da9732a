"""How much `import lossnotes` costs on top of `import numpy` (fresh interpreters, bytecode cached).

    python benchmarks/bench_import.py [--runs 15]

Each figure is the median over fresh `python -c "import X"` processes of the cumulative import
time that `python -X importtime` reports for the top-level module. The package's promise is
that importing it costs little more than importing NumPy, and never loads TensorFlow, torch,
mpmath or matplotlib.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys


def import_time_us(module: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True, text=True, env=env, check=True,
    ).stderr
    last = [line for line in err.splitlines() if line.rstrip().endswith(f"| {module}")][-1]
    return int(last.split("|")[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for module in ("numpy", "lossnotes"):
        import_time_us(module)  # write bytecode caches, warm the file system
    times = {m: [import_time_us(m) for _ in range(args.runs)] for m in ("numpy", "lossnotes")}
    med = {m: statistics.median(t) / 1000 for m, t in times.items()}
    print(f"median of {args.runs} fresh interpreters (ms): numpy {med['numpy']:.1f}, "
          f"lossnotes {med['lossnotes']:.1f} (lossnotes includes numpy; "
          f"{med['lossnotes'] / med['numpy']:.2f}x)")
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, lossnotes; print(sorted(m for m in "
         "('tensorflow', 'torch', 'keras', 'mpmath', 'matplotlib') if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    print(f"heavy modules loaded by import lossnotes: {loaded}")


if __name__ == "__main__":
    main()
