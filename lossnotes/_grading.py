"""The engine behind :mod:`lossnotes.exercises`: run a reader's function, compare, diagnose.

Nothing here raises because a reader's function is wrong: every exception, warning, wrong
shape or wrong value becomes a :class:`Failure` with a hint. The exercises themselves (their
cases and the known-wrong variants that hints are recognised from) live in
``_grading_catalogue``.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# Different correct float64 formulas for the same loss agree to about 1e-14 relative (a few
# ulps per operation); 1e-9 accepts every one of them, while precision lost to rounding, such
# as log(1 - p) at p = 1e-10 (wrong from the 8th digit), still fails.
RTOL = 1e-9
# A reader's output is recognised as a known-wrong variant at this looser tolerance: the
# variant may be computed by a slightly different (but equally wrong) formula.
MATCH_RTOL = 1e-6


@dataclass(frozen=True)
class Case:
    """One call of the reader's function: its label, positional arguments and purpose.

    ``hint`` says what the case is there to catch; it is the hint of a failure that no
    known-wrong variant explains. A ``refuse_shapes`` case passes (N,) against (N, 1): the
    reader's function must raise ValueError, or treat the two as the same N values.
    """

    label: str
    args: tuple[np.ndarray, ...]
    hint: str = ""
    refuse_shapes: bool = False


@dataclass(frozen=True)
class Variant:
    """A known-wrong implementation and the hint to give when a reader's output matches it."""

    hint: str
    fn: Callable[..., Any]


@dataclass(frozen=True)
class Exercise:
    name: str
    params: tuple[str, ...]
    summary: str
    details: str
    reference: Callable[..., Any]
    cases: Callable[[], list[Case]]
    variants: tuple[Variant, ...] = ()
    # Swapping the two arguments gives the same answer (mse, mae, huber): no swap diagnosis.
    symmetric: bool = False
    # (substring of "TypeName: message", hint) pairs tried before the generic ones.
    exception_hints: tuple[tuple[str, str], ...] = ()
    # Absolute tolerance, for results bounded in size (a gradient in [-1, 1]).
    atol: float = 0.0
    # Whether the result is elementwise (the shape of the last argument) or a scalar.
    elementwise: bool = True

    @property
    def call(self) -> str:
        return f"fn({', '.join(self.params)})"


@dataclass(frozen=True)
class Failure:
    number: int  # 1-based index of the failing case
    case: Case
    reason: str
    hint: str
    expected: Any
    expected_text: str
    got: Any
    got_text: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Outcome:
    value: Any
    error: Exception | None
    warnings: tuple[str, ...]
    mutated: tuple[str, ...]


# --- running -----------------------------------------------------------------------------------


def _run(fn: Callable[..., Any], args: tuple[np.ndarray, ...], names: tuple[str, ...]) -> _Outcome:
    """Call ``fn`` on copies of ``args``, recording exceptions, warnings and in-place changes."""
    given = tuple(a.copy() for a in args)
    value, error = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Underflow (e^-800 = 0) is harmless and common; overflow, 0/0 and log 0 are the signs.
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            try:
                value = fn(*given)
            except Exception as exc:  # a wrong answer is reported, never raised
                error = exc
    messages = tuple(dict.fromkeys(str(w.message) for w in caught))
    mutated = tuple(
        name
        for name, a, g in zip(names, args, given, strict=True)
        if not (isinstance(g, np.ndarray) and g.shape == a.shape and _equal(g, a))
    )
    return _Outcome(value, error, messages, mutated)


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


def _quiet(fn: Callable[..., Any], *args: np.ndarray) -> np.ndarray | None:
    """``fn(*args)`` as a float64 array, or None if it raises; warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                out = np.asarray(fn(*(a.copy() for a in args)))
                return out.astype(np.float64) if out.dtype.kind in "biuf" else None
            except Exception:
                return None


def _numeric(value: Any) -> np.ndarray | None:
    """The reader's result as an array of real numbers, or None if it is not one."""
    if value is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(value)
    except Exception:
        return None
    return arr if arr.dtype.kind in "biuf" else None


# --- comparing ---------------------------------------------------------------------------------


def _mismatch(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float):
    """None if equal within tolerance, else (first bad index, relative error there or None).

    Shapes must already be equal. NaN matches NaN and an infinity matches the same infinity.
    """
    g = got.astype(np.float64)
    e = expected.astype(np.float64)
    with np.errstate(all="ignore"):
        ok = (np.isnan(g) & np.isnan(e)) | (np.isinf(e) & (g == e))
        finite = np.isfinite(g) & np.isfinite(e)
        ok |= finite & (np.abs(g - e) <= atol + rtol * np.abs(e))
        bad = ~ok
        if not bad.any():
            return None
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        rel = None
        if finite[index] and e[index] != 0:
            rel = float(abs(g[index] - e[index]) / abs(e[index]))
    return index, rel


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float = 0.0) -> bool:
    return a.shape == b.shape and _mismatch(a, b, rtol, atol) is None


# --- formatting --------------------------------------------------------------------------------


def fmt(x: Any, prefix: str = "", precision: int = 6) -> str:
    """A deterministic, aligned text form of an array or number (6 significant digits)."""
    if isinstance(x, BaseException):
        return f"raised {_exc_text(x)}"
    arr = _numeric(x)
    if arr is None:
        return repr(x) if x is None else f"a {type(x).__name__}: {x!r}"
    # Every print option is fixed here, so that a notebook's np.set_printoptions does not change
    # the report (nbval compares it). ``prefix`` only sets the indentation of continuation
    # lines; the caller prints it.
    with np.printoptions(**_PRINT_OPTIONS, precision=precision):
        return np.array2string(arr, separator=", ", prefix=prefix)


_PRINT_OPTIONS = dict(
    threshold=60,
    edgeitems=3,
    linewidth=96,
    suppress=False,
    nanstr="nan",
    infstr="inf",
    sign="-",
    floatmode="maxprec",
    formatter=None,
    legacy=False,
)
EXPECTED, GOT = "  expected: ", "  got:      "


def _fmt_pair(expected: Any, got: Any, same: bool = False) -> tuple[str, str]:
    """Labelled lines; if both print the same at 6 digits, as many more as it takes for the
    difference to show (unless they are the same, as when only an in-place change failed). No
    more: the digits beyond are the last bits of exp and log, which change with the CPU."""
    e, g = fmt(expected, EXPECTED), fmt(got, GOT)
    for digits in range(7, 18):
        if e != g or same:
            break
        e, g = fmt(expected, EXPECTED, digits), fmt(got, GOT, digits)
    if isinstance(got, BaseException):
        return EXPECTED + e, wrap(GOT + g, " " * len(GOT))
    return EXPECTED + e, GOT + g


def wrap(text: str, indent: str, width: int = 96) -> str:
    """Wrap a line of prose (not an array) at ``width``, continuing at ``indent``."""
    return textwrap.fill(
        text, width, subsequent_indent=indent, break_on_hyphens=False, break_long_words=False
    )


def _exc_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


# --- hints -------------------------------------------------------------------------------------

SWAP_HINT = (
    "the arguments are ({0}, {1}), in that order: your function gives the right answer when "
    "they are swapped, so it uses the labels where the predictions belong"
)
MUTATE_HINT = (
    "your function changed its input array in place (for example `z -= z.max()` or "
    "`m[m < 0] = 0`): the caller's data is silently altered. Compute a new array instead "
    "(`z = z - z.max(...)`, np.where, np.maximum)"
)
BROADCAST_HINT = (
    "y_true has shape (N,) and the predictions shape (N, 1), as a network's output layer gives "
    "them: NumPy broadcasts the pair to an (N, N) array of every label against every "
    "prediction, and the result is silently wrong. Compare the shapes first and raise "
    "ValueError when they differ (as lossnotes does), or reshape the predictions to "
    "y_true's shape"
)
NONFINITE_HINT = (
    "your function returned nan or inf where the answer is finite: look for an exponential that "
    "overflows (e^x for x above about 709), a log of 0, or 0 * inf (see the warnings)"
)
LOW_PRECISION_HINT = (
    "your result is {dtype}, which keeps about {digits} significant digits; compute in float64, "
    "the dtype of the inputs (don't cast with .astype(np.float32) or np.float32(...))"
)
_GENERIC_EXCEPTION_HINTS = (
    (
        "truth value of an array",
        "Python's `if`, `and`, `or`, `max` and `min` look at a whole array at once: use NumPy's "
        "elementwise np.where, np.maximum, np.minimum and np.abs instead",
    ),
    (
        "cannot be interpreted as an integer",
        "np.max(a, b) reduces `a` along axis `b`; the elementwise maximum of two arrays is "
        "np.maximum(a, b)",
    ),
    (
        "only integer scalar arrays",
        "np.max(a, b) reduces `a` along axis `b`; the elementwise maximum of two arrays is "
        "np.maximum(a, b)",
    ),
    (
        "positional argument",
        "your function is called as {call}, with exactly these positional arguments: give any "
        "other parameter a default (delta=1.0, axis=-1)",
    ),
    (
        "is not defined",
        "a name inside your function is not defined: a missing import (`import numpy as np`) or "
        "a typo?",
    ),
    (
        "out of bounds for array of dimension",
        "your function uses an axis the input does not have: the last axis is axis=-1, whatever "
        "the number of dimensions",
    ),
)


def _exception_hint(ex: Exercise, exc: Exception) -> str:
    text = _exc_text(exc)
    for pattern, hint in (*ex.exception_hints, *_GENERIC_EXCEPTION_HINTS):
        if pattern in text:
            return hint.format(call=ex.call)
    return (
        f"your function raised {type(exc).__name__} on a valid input: it must return a result "
        f"for every input in the exercise's range (it is called as {ex.call} with the input "
        "shown)"
    )


def _shape_hint(ex: Exercise, got: np.ndarray, expected: np.ndarray) -> str:
    if expected.shape == ():
        return (
            f"the loss is one number, the mean over all elements; your result has shape "
            f"{got.shape}: reduce it with np.mean (a 0-d array or a float)"
        )
    if got.shape == ():
        return (
            f"this is elementwise: return one value per element, an array of shape "
            f"{expected.shape} like the input, without averaging or summing"
        )
    if got.shape == (*expected.shape, 1) or got.shape == (*expected.shape[:-1], 1):
        return (
            f"your result has shape {got.shape} where {expected.shape} is expected: an extra "
            "axis of length 1 (keepdims=True, reshape(-1, 1) or [:, None]) broadcasts wrongly "
            "later"
        )
    if got.ndim == 2 and got.shape[0] == got.shape[1] and expected.ndim <= 1:
        return BROADCAST_HINT
    return f"the result must have shape {expected.shape}, one value per element of the input"


def _generic_hint(ex: Exercise) -> str:
    return (
        f"the values differ from the reference; the exercise asks for {ex.summary} "
        f"(see exercises.describe({ex.name!r}))"
    )


def _diagnose(
    ex: Exercise,
    case: Case,
    fn: Callable[..., Any],
    got: np.ndarray,
    expected: np.ndarray,
) -> str:
    """Recognise the mistake behind a wrong result: most specific explanation first."""
    # A nan or inf where the answer is finite says little about which formula was meant (nan
    # matches nan), so the variants are compared only with finite results.
    nonfinite = got.shape == expected.shape and bool(
        np.any(~np.isfinite(got.astype(np.float64)) & np.isfinite(expected.astype(np.float64)))
    )
    for variant in () if nonfinite else ex.variants:
        wrong = _quiet(variant.fn, *case.args)
        if (
            wrong is not None
            and _close(got, wrong, MATCH_RTOL, ex.atol)
            and not _close(wrong, expected, RTOL, ex.atol)
        ):
            return variant.hint
    if len(case.args) == 2 and not ex.symmetric:
        swapped = _quiet(fn, *case.args[::-1])
        if swapped is not None and _close(swapped, expected, RTOL, ex.atol):
            return SWAP_HINT.format(*ex.params)
    if got.dtype.kind == "f" and got.dtype.itemsize < 8:
        digits = {2: 3, 4: 7}.get(got.dtype.itemsize, 7)
        return LOW_PRECISION_HINT.format(dtype=got.dtype, digits=digits)
    if got.shape != expected.shape:
        return _shape_hint(ex, got, expected)
    if case.hint:
        return case.hint
    if nonfinite:
        return NONFINITE_HINT
    return _generic_hint(ex)


# --- grading -----------------------------------------------------------------------------------


def grade(ex: Exercise, fn: Callable[..., Any]) -> tuple[int, Failure | None]:
    """Run every case of ``ex`` in order; return the number of cases and the first failure."""
    cases = ex.cases()
    for number, case in enumerate(cases, 1):
        outcome = _run(fn, case.args, ex.params)
        if case.refuse_shapes:
            failure = _grade_refusal(ex, case, number, outcome)
        else:
            failure = _grade_values(ex, case, number, outcome, fn)
        if failure is not None:
            return len(cases), failure
    return len(cases), None


def _fail(
    case, number, reason, hint, expected, got, outcome, expected_text=None, same=False
) -> Failure:
    e_text, g_text = _fmt_pair(expected, got, same)
    return Failure(
        number=number,
        case=case,
        reason=reason,
        hint=hint,
        expected=expected,
        expected_text=expected_text if expected_text is not None else e_text,
        got=got,
        got_text=g_text,
        warnings=outcome.warnings,
    )


def _grade_values(ex, case, number, outcome, fn) -> Failure | None:
    expected = np.asarray(ex.reference(*case.args))
    if outcome.error is not None:
        return _fail(
            case,
            number,
            f"raised {type(outcome.error).__name__}",
            _exception_hint(ex, outcome.error),
            expected,
            outcome.error,
            outcome,
        )
    got = _numeric(outcome.value)
    if got is None:
        if outcome.value is None:
            reason, hint = "returned None", "your function returned None: a missing `return`?"
        else:
            reason = f"returned a {type(outcome.value).__name__}, not numbers"
            hint = "return a NumPy array of real numbers (or a float for a single number)"
        return _fail(case, number, reason, hint, expected, outcome.value, outcome)
    if got.shape != expected.shape:
        reason = f"result has shape {got.shape}, expected {expected.shape}"
        return _fail(
            case, number, reason, _diagnose(ex, case, fn, got, expected), expected, got, outcome
        )
    bad = _mismatch(got, expected, RTOL, ex.atol)
    if bad is not None:
        index, rel = bad
        where = f" at index {index}" if index else ""
        if rel is not None:
            tol = f"rtol={RTOL:g}" + (f", atol={ex.atol:g}" if ex.atol else "")
            reason = f"wrong value{where} (relative error {rel:.2g}; tolerance {tol})"
        elif np.isfinite(expected[index]) and not np.isfinite(got.astype(np.float64)[index]):
            reason = f"{got.astype(np.float64)[index]} where a finite value is expected{where}"
        else:
            reason = f"wrong value{where}"
        return _fail(
            case, number, reason, _diagnose(ex, case, fn, got, expected), expected, got, outcome
        )
    if outcome.mutated:
        reason = f"right values, but it changed {', '.join(outcome.mutated)} in place"
        return _fail(case, number, reason, MUTATE_HINT, expected, got, outcome, same=True)
    return None


def _grade_refusal(ex, case, number, outcome) -> Failure | None:
    y_true, y_pred = case.args
    matched = np.asarray(ex.reference(y_true, y_pred.reshape(y_true.shape)))
    shapes = {matched.shape, y_pred.shape} if ex.elementwise else {matched.shape}
    n = y_true.size
    expected_text = f"{EXPECTED}ValueError (the shapes differ), or the result for the {n} pairs:"
    one_line = f"{expected_text} {fmt(matched)}"
    if "\n" not in one_line and len(one_line) <= 96:
        expected_text = one_line
    else:
        expected_text += "\n" + " " * len(EXPECTED) + fmt(matched, EXPECTED)
    error = outcome.error
    if error is not None:
        if isinstance(error, ValueError):
            return None
        hint = (
            "raise ValueError for shapes that differ (it is what lossnotes and NumPy raise for "
            "a bad argument)"
        )
        if isinstance(error, AssertionError):
            hint += "; an `assert` is not a check, it disappears under `python -O`"
        return _fail(
            case, number, f"raised {type(error).__name__}", hint, matched, error, outcome,
            expected_text,
        )
    got = _numeric(outcome.value)
    if got is None:
        reason = "returned None" if outcome.value is None else "returned no numbers"
        return _fail(
            case, number, reason, BROADCAST_HINT, matched, outcome.value, outcome, expected_text
        )
    if got.shape in shapes and _close(got.reshape(matched.shape), matched, RTOL, ex.atol):
        return None
    reason = (
        f"returned a result of shape {got.shape} for shapes {y_true.shape} and {y_pred.shape}"
    )
    if got.shape in shapes:
        reason += f", which is not the result for the {n} pairs"
    return _fail(case, number, reason, BROADCAST_HINT, matched, got, outcome, expected_text)
