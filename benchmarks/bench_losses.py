"""Time every covered loss in lossnotes, tf.keras and torch.nn.functional (one thread each).

    python benchmarks/bench_losses.py [--sizes 1e2 1e4 ...] [--dtype float32 float64]
                                      [--memory-size 1e7] [--no-keras]

Each loss is called as a user calls it, with its default mean reduction: lossnotes' public
function (input validation included), the plain Keras function plus ``ops.mean`` on tensors
made beforehand, and ``torch.nn.functional`` on tensors made beforehand under
``torch.inference_mode()``. torch and TensorFlow are limited to one thread, so every library
runs on one core. The figure is the best of several rounds (time.perf_counter), the libraries
called in turn in each round so that they share the machine's load alike, in milliseconds; the
ratio column is lossnotes / torch. Targets: within 1.5x of single-threaded torch's time per
call from 10^2 to 10^4 elements (where the cost of a call is mostly fixed), within 3x at
10^6 elements and above.

A second table gives the peak memory that each lossnotes loss and gradient allocates
(tracemalloc, which NumPy reports to) at ``--memory-size`` elements, as a multiple of the
bytes of its inputs; target: at most 3x.

The Markdown tables go to stdout and to benchmarks/results/ (not committed).
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np

import lossnotes as ln

CLASSES = 10  # categorical losses: n elements = n / CLASSES rows of CLASSES classes
#: (smallest n, largest n, the largest lossnotes / torch time ratio allowed)
TARGETS = [(10**2, 10**4, 1.5), (10**6, float("inf"), 3.0)]
TARGET_MEMORY = 3.0


def target(n: int) -> float | None:
    return next((r for lo, hi, r in TARGETS if lo <= n <= hi), None)


def best_times(fns, budget: float = 0.6, min_rounds: int = 5, max_rounds: int = 40) -> list:
    """Best wall time of each fn() in seconds, calling them in turn, round after round.

    Interleaving gives every library the same share of a machine whose load changes (the best
    of each is then comparable); the round budget bounds the total time.
    """
    for fn in fns:
        fn()  # warm-up: first-call allocations, lazy initialisation
    best = [float("inf")] * len(fns)
    spent, rounds = 0.0, 0
    while rounds < min_rounds or (spent < budget and rounds < max_rounds):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            t = time.perf_counter() - start
            best[i], spent = min(best[i], t), spent + t
        rounds += 1
    return best


def make_inputs(name: str, n: int, dtype, rng):
    """(y_true, y_pred, options) for a loss, n elements in all."""
    if name.startswith(("categorical", "sparse")):
        rows = max(n // CLASSES, 1)
        logits = rng.normal(0, 2, (rows, CLASSES)).astype(dtype)
        labels = rng.integers(0, CLASSES, rows)
        from_logits = name.endswith("logits")
        y_pred = logits if from_logits else ln.softmax(logits)
        y_true = labels if name.startswith("sparse") else np.eye(CLASSES, dtype=dtype)[labels]
        return y_true, y_pred, {"from_logits": from_logits}
    if name.startswith("binary"):
        from_logits = name.endswith("logits")
        y_true = (rng.random(n) < 0.5).astype(dtype)
        y_pred = (rng.normal(0, 3, n) if from_logits else rng.uniform(0.01, 0.99, n)).astype(dtype)
        return y_true, y_pred, {"from_logits": from_logits}
    if name in ("hinge", "squared_hinge", "logistic"):
        return ((2 * (rng.random(n) < 0.5) - 1).astype(dtype), rng.normal(0, 2, n).astype(dtype),
                {})
    return rng.normal(0, 2, n).astype(dtype), rng.normal(0, 2, n).astype(dtype), {}


LOSSES = [
    "binary_cross_entropy", "binary_cross_entropy logits", "categorical_cross_entropy",
    "categorical_cross_entropy logits", "sparse_categorical_cross_entropy",
    "sparse_categorical_cross_entropy logits", "mse", "mae", "huber", "hinge", "squared_hinge",
    "logistic",
]


def peak_memory(fn, *args, **kwargs) -> int:
    """Peak bytes allocated while ``fn`` runs (the result included)."""
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def memory_rows(n: int, dtype) -> list:
    """(name, peak / input bytes) for every loss and gradient, at n elements."""
    rows = []
    for name in LOSSES:
        base = name.split()[0]
        y, p, opts = make_inputs(name, n, dtype, np.random.default_rng(0))
        args = (y, p)
        calls = [(name, getattr(ln, base)), (name.replace(base, base + "_grad"),
                                             getattr(ln, base + "_grad"))]
        if base in ("hinge", "squared_hinge", "logistic"):  # functions of the margin
            args = (ln.margin(y, p),)
            if base == "hinge":
                rows.append(("margin", peak_memory(ln.margin, y, p) / (y.nbytes + p.nbytes)))
        for label, fn in calls:
            kwargs = {**opts, "reduction": "none"} if label == name else dict(opts)
            params = inspect.signature(fn).parameters
            kwargs = {k: v for k, v in kwargs.items() if k in params}
            inputs = sum(np.asarray(a).nbytes for a in args)
            rows.append((label, peak_memory(fn, *args, **kwargs) / inputs))
    return rows


def lossnotes_call(name, y, p, opts):
    base = name.split()[0]
    if base in ("hinge", "squared_hinge", "logistic"):
        fn = getattr(ln, base)
        return lambda: fn(ln.margin(y, p), reduction="mean")
    fn = getattr(ln, base)
    return lambda: fn(y, p, **opts)


def keras_call(keras, tf, name, y, p, opts):
    base = name.split()[0]
    yt, pt = tf.constant(y), tf.constant(p)
    losses, mean = keras.losses, keras.ops.mean
    fns = {
        "binary_cross_entropy": lambda: losses.binary_crossentropy(yt, pt, **opts),
        "categorical_cross_entropy": lambda: losses.categorical_crossentropy(yt, pt, **opts),
        "sparse_categorical_cross_entropy": lambda: losses.sparse_categorical_crossentropy(
            yt, pt, **opts),
        "mse": lambda: losses.mean_squared_error(yt, pt),
        "mae": lambda: losses.mean_absolute_error(yt, pt),
        "huber": lambda: losses.huber(yt, pt),
        "hinge": lambda: losses.hinge(yt, pt),
        "squared_hinge": lambda: losses.squared_hinge(yt, pt),
    }
    if base == "logistic":
        t = tf.constant((y + 1) / 2)
        return lambda: mean(losses.binary_crossentropy(t, pt, from_logits=True))
    fn = fns[base]
    return lambda: mean(fn())


def torch_call(torch, F, name, y, p, opts):
    base = name.split()[0]
    pt = torch.from_numpy(p)
    yt = torch.from_numpy(np.asarray(y, dtype=np.int64) if base.startswith("sparse") else y)
    logits = opts.get("from_logits", False)
    fns = {
        "binary_cross_entropy": (lambda: F.binary_cross_entropy_with_logits(pt, yt)) if logits
        else (lambda: F.binary_cross_entropy(pt, yt)),
        "categorical_cross_entropy": (lambda: F.cross_entropy(pt, yt)) if logits
        else (lambda: F.cross_entropy(torch.log(pt), yt)),
        "sparse_categorical_cross_entropy": (lambda: F.cross_entropy(pt, yt)) if logits
        else (lambda: F.nll_loss(torch.log(pt), yt)),
        "mse": lambda: F.mse_loss(pt, yt),
        "mae": lambda: F.l1_loss(pt, yt),
        "huber": lambda: F.huber_loss(pt, yt),
        "hinge": lambda: torch.clamp(1 - yt * pt, min=0).mean(),
        "squared_hinge": lambda: torch.square(torch.clamp(1 - yt * pt, min=0)).mean(),
        "logistic": lambda: F.soft_margin_loss(pt, yt),
    }
    fn = fns[base]

    def run():
        with torch.inference_mode():
            return fn()

    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e2, 1e3, 1e4, 1e5, 1e6, 1e7])
    parser.add_argument("--memory-size", type=float, default=1e7,
                        help="elements for the peak-memory table (0 to skip it)")
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    parser.add_argument("--loss", nargs="+", default=LOSSES, choices=LOSSES, metavar="LOSS")
    parser.add_argument("--no-keras", action="store_true", help="skip TensorFlow")
    args = parser.parse_args(argv)

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    keras = tf = None
    if not args.no_keras:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        import keras

    lines = [
        f"# lossnotes {ln.__version__} loss timings, {datetime.date.today()}",
        "",
        f"NumPy {np.__version__}, torch {torch.__version__}"
        + ("" if keras is None else f", TensorFlow {tf.__version__}, Keras {keras.__version__}")
        + f"; Python {platform.python_version()} on {platform.machine()} "
        f"({os.cpu_count()} CPUs), one thread per library.",
        "Best-of-N wall time in milliseconds, mean reduction; ratio = lossnotes / torch "
        "(targets: " + ", ".join(f"<= {r:g} from {lo:.0e}" + (f" to {hi:.0e}" if hi < 1e30 else
                                                              "")
                                 for lo, hi, r in TARGETS)
        + f" elements). Categorical losses: n elements = n/{CLASSES} rows of {CLASSES} classes.",
        "",
    ]
    print("\n".join(lines), flush=True)
    misses = []
    for dtype_name in args.dtype:
        dtype = np.dtype(dtype_name)
        head = f"| {dtype_name} loss | n | lossnotes | keras | torch | ratio |"
        table = [head, "|---|---:|---:|---:|---:|---:|"]
        print(table[0] + "\n" + table[1], flush=True)
        for name in args.loss:
            for size in args.sizes:
                n = int(size)
                rng = np.random.default_rng(0)
                y, p, opts = make_inputs(name, n, dtype, rng)
                fns = [lossnotes_call(name, y, p, opts), torch_call(torch, F, name, y, p, opts)]
                if keras is not None:
                    fns.append(keras_call(keras, tf, name, y, p, opts))
                t_ln, t_t, *t_k = best_times(fns)
                t_k = t_k[0] if t_k else float("nan")
                ratio = t_ln / t_t
                flag = ""
                if target(n) is not None and ratio > target(n):
                    flag = " **over**"
                    misses.append((dtype_name, name, n, ratio))
                row = (f"| {name} | {n:.0e} | {t_ln * 1e3:.3f} | {t_k * 1e3:.3f} | "
                       f"{t_t * 1e3:.3f} | {ratio:.2f}{flag} |")
                table.append(row)
                print(row, flush=True)
        lines += [*table, ""]
    if args.memory_size:
        n = int(args.memory_size)
        head = f"| loss or gradient, n = {n:.0e} | " + " | ".join(args.dtype) + " |"
        table = [head, "|---|" + "---:|" * len(args.dtype)]
        columns = [memory_rows(n, np.dtype(d)) for d in args.dtype]
        for cells in zip(*columns, strict=True):
            over = [f"{r:.2f}" + (" **over**" if r > TARGET_MEMORY else "") for _, r in cells]
            misses += [(d, f"{cells[0][0]} memory", n, r) for d, (_, r) in
                       zip(args.dtype, cells, strict=True) if r > TARGET_MEMORY]
            table.append(f"| {cells[0][0]} | " + " | ".join(over) + " |")
        print("\nPeak memory allocated / input bytes (target <= "
              f"{TARGET_MEMORY:g}):\n" + "\n".join(table), flush=True)
        lines += [f"Peak memory allocated / input bytes (target: <= {TARGET_MEMORY:g}):", "",
                  *table, ""]
    verdict = ("All within the targets." if not misses else
               "Over the target: " + "; ".join(f"{d} {n} at {s:.0e} ({r:.2f}x)"
                                                for d, n, s, r in misses))
    lines.append(verdict)
    print("\n" + verdict)
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"bench_losses_{stamp}.md"
    path.write_text("\n".join(lines) + "\n")
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
