"""``python -m lossnotes``: the agreement matrix of lossnotes, tf.keras and torch.nn.functional.

Every covered loss and its gradient, on the notes' examples, a seeded random batch and the edge
cases, against Keras and torch, with the versions in use. The exit status is 1 if any framework
differs in a way no documented convention explains (or fails), 0 otherwise: run it to check that
the book's comparisons hold on your install. A ``--loss`` that is not covered (the message
suggests close names) or a selection that matches no case is a usage error, exit status 2,
reported before TensorFlow or torch is imported.

It first prints the versions of NumPy, TensorFlow, Keras and torch it finds (from the installed
packages' metadata, before importing anything), and for a framework that is missing or too old
(TensorFlow before 2.16, whose tf.keras is Keras 2) how to install one that works; it then
compares with the other framework alone and exits with status 3, or at once with status 3 when
neither can be used.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time

SYMBOL = {"agree": "agree", "explained": "explained", "differs": "DIFFERS", "error": "ERROR",
          "absent": "absent"}


def _worst(statuses):
    order = ("error", "differs", "explained", "agree", "absent")
    return min(statuses, key=order.index) if statuses else "-"


def _cell(comparison, framework):
    rows = [r for r in comparison.rows if r.framework == framework]
    return SYMBOL.get(_worst([r.status for r in rows]), "-")


def _suggest(name: str, choices) -> str:
    """`` (did you mean 'mse'?)`` for a name that is close to some of ``choices``, else ``""``."""
    low = name.lower().replace("-", "_")
    near = [c for c in choices if c.lower() == low]  # a different case: that one only
    if near:
        return f" (did you mean {near[0]!r}?)"
    near = [c for c in choices if low and low in c.lower()]
    near += difflib.get_close_matches(low, [c.lower() for c in choices], n=3, cutoff=0.6)
    near = [c for c in dict.fromkeys(near) if c != name][:3]
    return f" (did you mean {', '.join(map(repr, near))}?)" if near else ""


def _check_selection(parser, args, cases, covered) -> list:
    """The (loss, case) pairs the options select; a selection that names nothing or matches
    nothing is a usage error (exit status 2), reported before any framework is imported."""
    for name in args.loss or ():
        if name not in covered:
            parser.error(f"argument --loss: unknown loss {name!r}{_suggest(name, covered)}; "
                         f"covered: {', '.join(covered)}")
    selected = [
        (loss, c) for loss, c in cases
        if (not args.loss or loss in args.loss) and (not args.kind or c.kind in args.kind)
    ]
    if not selected:
        losses = list(dict.fromkeys(args.loss or ()))
        kinds = {loss: sorted({c.kind for name, c in cases if name == loss}) for loss in losses}
        have = "; ".join(f"{loss} has {', '.join(k) or 'no'} cases" for loss, k in kinds.items())
        chosen = " ".join([f"--loss {loss}" for loss in losses]
                          + [f"--kind {kind}" for kind in dict.fromkeys(args.kind or ())])
        parser.error(f"the selection {chosen or '(everything)'} matches no case"
                     + (f" ({have})" if have else ""))
    return selected


def _found_line(version: str, found: dict) -> str:
    """``lossnotes 0.1.0 on Python 3.11.7 found NumPy 2.4.6, TensorFlow 2.21.0, ...``."""
    names = {"numpy": "NumPy", "tensorflow": "TensorFlow", "keras": "Keras", "torch": "torch"}
    parts = [f"{names[m]} {v if v is not None else '(not installed)'}" for m, v in found.items()]
    return (f"lossnotes {version} on Python {sys.version.split()[0]} found: "
            + ", ".join(parts))


def _translation_rows(usable, verbose: bool) -> int:
    """Run every row of the translation table (the book's Keras-PyTorch page) and print a line
    a row; return the number of rows that differ or fail."""
    from lossnotes._compare import _translation

    start = time.perf_counter()
    results = [_translation.run_row(row, usable, edges=False) for row in _translation.ROWS]
    table = _translation.Table(tuple(results))
    print(f"\nThe translation table (Keras call, torch call, lossnotes call: each run as printed "
          f"on a seeded float32 batch; {time.perf_counter() - start:.1f} s)")
    width = max(len(r.row.title) for r in results)
    for r in results:
        print(f"  {r.row.title.ljust(width)}  {table.measured(r)}")
        if verbose or r.verdict in ("DIFFERS", "error"):
            for key, lead, expr in table.sides(r):
                print(f"      {key}: {lead}{expr}")
    counts = ", ".join(f"{n} {v}" for v, n in table.counts().items())
    print(f"{len(results)} rows: {counts}")
    return sum(r.verdict in ("DIFFERS", "error") for r in results)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lossnotes",
        description="Compare every lossnotes loss and gradient with tf.keras and "
        "torch.nn.functional; exit status 1 on an unexplained difference.",
    )
    parser.add_argument("--loss", action="append", metavar="NAME",
                        help="only this loss (repeatable)")
    parser.add_argument("--kind", action="append", choices=("notes", "random", "edge"),
                        help="only these cases (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every comparison in full, with its notes")
    args = parser.parse_args(argv)

    import lossnotes as ln
    from lossnotes._compare import _frameworks
    from lossnotes._registry import COVERED, cases

    every = [(name, case) for name in COVERED for case in cases(name)]
    selected = _check_selection(parser, args, every, COVERED)

    # What is installed comes first, read from the packages' metadata: importing TensorFlow
    # takes seconds, and a missing framework should be explained before anything runs.
    found = _frameworks.found()
    print(_found_line(ln.__version__, found))
    missing = {fw: _frameworks.unusable(fw, found) for fw in ("keras", "torch")}
    usable = tuple(fw for fw, why in missing.items() if why is None)
    for fw, why in missing.items():
        if why is not None:
            print(f"\n{fw}: {why}")
    for warning in _frameworks.older_than_tested(found):
        print(f"\nnote: {warning}")
    if not usable:
        print("\nNothing to compare with: install TensorFlow or PyTorch (or both, with "
              "pip install 'lossnotes[frameworks]') and run python -m lossnotes again.",
              file=sys.stderr)
        return 3
    if len(usable) < 2:
        print(f"\nComparing with {usable[0]} only; its column is the only one filled in.")

    start = time.perf_counter()
    v = _frameworks.versions(usable)
    against = []
    if "keras" in usable:
        against.append(f"TensorFlow {v['tensorflow']} (Keras {v['keras']})")
    if "torch" in usable:
        against.append(f"torch {v['torch']}")
    print(f"\nlossnotes {ln.__version__} against {' and '.join(against)}, NumPy {v['numpy']}")
    print("Each cell: the loss / its gradient. agree = within the dtype's tolerance; explained = "
          "differs as a\ndocumented convention says, and lossnotes under that convention "
          "matches; DIFFERS = unexplained.\nrefused = the exact formula refuses the input (the "
          "frameworks' conventions accept it).\n")

    header = ("", "case", "dtype", "lossnotes", "keras loss / grad", "torch loss / grad")
    table, details, counts, bad = [], [], {}, 0
    for name, case in selected:
        inputs = (case.y_true, case.y_pred, *case.more)
        loss = ln.compare(name, *inputs, frameworks=usable, **case.options)
        grad = ln.compare_grad(name, *inputs, frameworks=usable, **case.options)
        opts = ", ".join(f"{k}={val}" for k, val in case.options.items())
        label = case.label + (f" [{opts}]" if opts else "")
        refused = "refused" if loss.rows[0].status == "refused" else "exact"
        table.append((name, case.kind, label, case.dtype, refused,
                      f"{_cell(loss, 'keras')} / {_cell(grad, 'keras')}",
                      f"{_cell(loss, 'torch')} / {_cell(grad, 'torch')}"))
        for result in (loss, grad):
            for row in result.rows[1:]:
                counts[row.status] = counts.get(row.status, 0) + 1
            if not result.ok:
                bad += 1
            if args.verbose or not result.ok:
                details.append(result)

    cells = [row[1:] for row in table]
    widths = [max(len(str(r[i])) for r in [header, *cells]) for i in range(len(header))]

    def line(cols):
        return "  ".join(str(c).ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()

    print(line(header))
    current = None
    for row in table:
        if row[0] != current:
            current = row[0]
            print(current)
        print(line(row[1:]))
    total = sum(counts.values())
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("agree", "explained", "differs",
                                                           "error", "absent"))
    print(f"\n{len(selected)} cases, {total} framework comparisons: {summary} "
          f"({time.perf_counter() - start:.1f} s)")
    for result in details:
        print("\n" + str(result))
    if not args.loss and not args.kind:
        bad += _translation_rows(usable, args.verbose)
    if bad:
        print(f"\n{bad} comparison(s) differ without a documented explanation.", file=sys.stderr)
        return 1
    if len(usable) < 2:
        skipped = next(fw for fw in ("keras", "torch") if fw not in usable)
        print(f"\nNot compared with {skipped}: it is missing or too old (see the top).",
              file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
