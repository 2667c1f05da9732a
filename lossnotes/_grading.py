"""The engine behind :mod:`lossnotes.exercises`: run a reader's function, compare, diagnose.

Nothing here raises because a reader's function is wrong: every exception (SystemExit
included; only KeyboardInterrupt propagates), warning, wrong shape, wrong value, result that
cannot be shown and call that does not return in time becomes a :class:`Failure` with a hint.
The exercises themselves (their cases and the known-wrong variants that hints are recognised
from) live in ``_grading_catalogue``.
"""

from __future__ import annotations

import re
import signal
import textwrap
import threading
import time
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
# Seconds each call of a reader's function may take (the references take milliseconds).
TIMEOUT = 10.0
# A reader's function that catches the time limit's exception is interrupted again this often.
_REFIRE = 0.05
# The longest description of a result or message a report shows: a one-line repr or message
# (wrapped), each line of a longer repr (of an array: the report's width), and its lines.
_MAX_CHARS = 240
_MAX_LINE = 80
_MAX_LINES = 8


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
    """One call of the reader's function. Unless it returned real numbers (``array``),
    ``reason``, ``hint`` and ``text`` (what the report's "got" line shows) say what it did."""

    value: Any
    error: BaseException | None
    warnings: tuple[str, ...]
    mutated: tuple[str, ...]
    array: np.ndarray | None = None
    timed_out: bool = False
    reason: str = ""
    hint: str = ""
    text: str = ""


# --- running -----------------------------------------------------------------------------------


class _Timeout(BaseException):
    """Raised inside the reader's function when its time is up: a BaseException, so that the
    reader's own ``except Exception`` does not catch it."""


def _propagates(exc: BaseException) -> bool:
    """Whether ``exc`` must not be reported: the user's KeyboardInterrupt (a stop must stop,
    even wrapped in an exception group) and the time limit, which the grader handles."""
    if isinstance(exc, KeyboardInterrupt | _Timeout):
        return True
    return isinstance(exc, BaseExceptionGroup) and exc.subgroup(KeyboardInterrupt) is not None


def _limited(call: Callable[[], Any], timeout: float | None) -> Any:
    """``call()``, or _Timeout if it has not returned within ``timeout`` seconds.

    The limit is a SIGALRM timer (``signal.setitimer``); the previous handler and timer are
    restored afterwards, even on error (an outer timer that expired meanwhile fires then).
    Where there is no SIGALRM (Windows), outside the main thread, or when the current handler
    was not set from Python (it could not be restored), ``call()`` runs without a limit: a
    runaway thread could not be stopped anyway. The timer fires again every _REFIRE seconds
    until the call ends, in case the call catches the first one.
    """
    if (
        timeout is None
        or not hasattr(signal, "SIGALRM")
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGALRM) is None
    ):
        return call()
    armed, fired = True, False

    def on_alarm(signum: int, frame: Any) -> None:
        nonlocal fired
        if armed:
            fired = True
            raise _Timeout

    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
    except (ValueError, OSError):  # not the main interpreter
        return call()
    old_delay, old_interval = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()
    try:
        try:
            # setitimer rounds to microseconds, and a delay of 0 would disarm the timer.
            signal.setitimer(signal.ITIMER_REAL, max(timeout, 1e-6), _REFIRE)
            result = call()
        finally:
            armed = False
    except BaseException as exc:
        if isinstance(exc, _Timeout) or (fired and not _propagates(exc)):
            raise _Timeout from None
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay > 0:  # an outer timer (pytest-timeout, say) keeps its deadline
            left = old_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), old_interval)
    if fired:  # the reader's function caught the limit's exception and returned
        raise _Timeout
    return result


def _seconds(timeout: float) -> str:
    return f"{timeout:g} s"


def _run(
    fn: Callable[..., Any],
    args: tuple[np.ndarray, ...],
    names: tuple[str, ...],
    timeout: float | None = TIMEOUT,
) -> _Outcome:
    """Call ``fn`` on copies of ``args``, recording exceptions, warnings and in-place changes.

    Everything that runs the reader's code (the call, NumPy's conversion of its result, the
    repr or message shown) runs within the time limit.
    """
    given = tuple(a.copy() for a in args)

    def attempt() -> dict[str, Any]:
        try:
            value = fn(*given)
        except BaseException as exc:  # a wrong answer is reported, never raised
            if _propagates(exc):
                raise
            return dict(value=None, error=exc, reason=_error_reason(exc), text=_exc_text(exc))
        return dict(value=value, error=None, **_convert(value))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Underflow (e^-800 = 0) is harmless and common; overflow, 0/0 and log 0 are the signs.
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            try:
                found = _limited(attempt, timeout)
            except _Timeout:
                limit = _seconds(timeout) if timeout is not None else ""
                found = dict(
                    value=None,
                    error=None,
                    timed_out=True,
                    reason=f"did not return within {limit}",
                    hint=TIMEOUT_HINT.format(limit=limit),
                    text=f"no result: the call was stopped after {limit}",
                )
    messages = tuple(dict.fromkeys(_message_text(w.message) for w in caught))
    mutated = tuple(
        name
        for name, a, g in zip(names, args, given, strict=True)
        if not (isinstance(g, np.ndarray) and g.shape == a.shape and _equal(g, a))
    )
    return _Outcome(warnings=messages, mutated=mutated, **found)


def _convert(value: Any) -> dict[str, Any]:
    """The reader's result as real numbers (``array``), or why it is not, with a hint."""
    if value is None:
        return dict(reason="returned None", hint=NONE_HINT, text="None")
    name = _a(type(value).__name__)
    arr, exc = _asarray_quietly(value)
    if exc is not None:
        reason = f"returned {name} that NumPy cannot convert to an array; expected real numbers"
        hint = _torch_hint(value) or f"{RESULT_HINT}; np.asarray(result) raised {_exc_text(exc)}"
        return dict(reason=reason, hint=hint, text=_describe(value))
    if arr.dtype.kind in "biuf":
        return dict(array=arr)
    if isinstance(value, np.ndarray):
        what = f"an array of dtype {arr.dtype}"
    elif isinstance(value, np.generic):
        what = f"a NumPy scalar of dtype {arr.dtype}"
    else:
        what = f"{name}, which NumPy converts to dtype {arr.dtype}"
    reason = f"returned {what}; expected real numbers"
    return dict(reason=reason, hint=_torch_hint(value) or RESULT_HINT, text=_describe(value))


def _torch_hint(value: Any) -> str:
    """The hint for a torch tensor NumPy cannot read; torch is not imported for it."""
    if not type(value).__module__.startswith("torch"):
        return ""
    try:
        needs_grad = getattr(value, "requires_grad", False) is True
    except BaseException as exc:
        if _propagates(exc):
            raise
        needs_grad = False
    if needs_grad:
        return TORCH_GRAD_HINT
    return (
        "your function returned a torch object that NumPy cannot read: return a NumPy array "
        "(for a tensor, t.detach().cpu().numpy())"
    )


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


def _quiet(
    fn: Callable[..., Any], *args: np.ndarray, timeout: float | None = None
) -> np.ndarray | None:
    """``fn(*args)`` as a float64 array, or None if it raises, returns no real numbers or
    takes longer than ``timeout`` seconds; warnings silenced."""

    def attempt() -> np.ndarray | None:
        out = np.asarray(fn(*(a.copy() for a in args)))
        return out.astype(np.float64) if out.dtype.kind in "biuf" else None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                return _limited(attempt, timeout)
            except BaseException as exc:
                if isinstance(exc, _Timeout) or not _propagates(exc):
                    return None
                raise


def _numeric(value: Any) -> np.ndarray | None:
    """The result as an array of real numbers, or None if it is not one."""
    if value is None:
        return None
    arr, exc = _asarray_quietly(value)
    return arr if exc is None and arr.dtype.kind in "biuf" else None


def _asarray_quietly(value: Any) -> tuple[np.ndarray | None, BaseException | None]:
    """``(np.asarray(value), None)``, or ``(None, the exception)``; no warning escapes and
    only the exceptions that must stop a check (KeyboardInterrupt) propagate."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(value), None
    except BaseException as exc:
        if _propagates(exc):
            raise
        return None, exc


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
        return _describe(x, prefix)
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
_WIDTH = 96


def _describe(x: Any, prefix: str = "") -> str:
    """What a result that is not real numbers is, shown short and deterministic.

    Never raises (a repr that raises is reported as such); long reprs are cut, saying their
    length; memory addresses are removed. Continuation lines line up after ``prefix``, which
    the caller prints, as in :func:`fmt`.
    """
    if x is None:
        return "None"
    name = type(x).__name__
    try:
        if isinstance(x, np.ndarray):
            head = f"an array of dtype {x.dtype}: "
            with np.printoptions(**_PRINT_OPTIONS, precision=6):
                body = np.array2string(x, separator=", ", prefix=prefix + head)
            return head + _shorten(_ADDRESS.sub("", body), _WIDTH)
        shown = _shorten(_ADDRESS.sub("", repr(x)))
    except BaseException as exc:
        if _propagates(exc):
            raise
        return f"an object of type {name} that cannot be shown (its repr raised {_exc_text(exc)})"
    head = f"{_a(name)}: "
    return head + shown.replace("\n", "\n" + " " * (len(prefix) + len(head)))


def _a(name: str) -> str:
    """``name`` with its article: "a str", "an object"."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


# " at 0x7f3a...", as in <object object at 0x7f3a...>: different on every run.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _shorten(text: str, width: int | None = None) -> str:
    """``text`` cut to _MAX_LINES lines of ``width`` characters (by default _MAX_CHARS for one
    line, _MAX_LINE for more), each cut marked by an ellipsis, saying how long it was."""
    lines = text.split("\n")
    if width is None:
        width = _MAX_CHARS if len(lines) == 1 else _MAX_LINE
    shown = [line if len(line) <= width else line[:width] + "..." for line in lines[:_MAX_LINES]]
    if len(lines) > _MAX_LINES:
        shown.append("...")
    cut = "\n".join(shown)
    return text if cut == text else f"{cut} ({len(text)} characters in all)"


def _fmt_pair(
    expected: Any, got: Any, same: bool = False, got_text: str | None = None
) -> tuple[str, str]:
    """Labelled lines; if both print the same at 6 digits, as many more as it takes for the
    difference to show (unless they are the same, as when only an in-place change failed). No
    more: the digits beyond are the last bits of exp and log, which change with the CPU.

    ``got_text``, when given, is what the "got" line shows (a result that is not numbers, an
    exception or a call stopped, described while the reader's code was time-limited)."""
    if got_text is not None:
        if "\n" not in got_text:  # a message, or a one-line repr (which may be long)
            return EXPECTED + fmt(expected, EXPECTED), wrap(GOT + got_text, " " * len(GOT))
        indented = got_text.replace("\n", "\n" + " " * len(GOT))
        return EXPECTED + fmt(expected, EXPECTED), GOT + indented
    e, g = fmt(expected, EXPECTED), fmt(got, GOT)
    for digits in range(7, 18):
        if e != g or same:
            break
        e, g = fmt(expected, EXPECTED, digits), fmt(got, GOT, digits)
    if isinstance(got, BaseException):
        return EXPECTED + e, wrap(GOT + g, " " * len(GOT))
    return EXPECTED + e, GOT + g


def wrap(text: str, indent: str, width: int = _WIDTH) -> str:
    """Wrap a line of prose (not an array) at ``width``, continuing at ``indent``; only a word
    longer than a line is broken."""
    return textwrap.fill(
        text, width, subsequent_indent=indent, break_on_hyphens=False, break_long_words=True
    )


def _exc_text(exc: BaseException) -> str:
    """"TypeName: first line of the message" (shortened); never raises."""
    name = type(exc).__name__
    text, err = _converted(str, exc)
    if err is not None:
        return f"{name} (its message cannot be shown: str() raised {type(err).__name__})"
    text = text.strip().splitlines()
    first = _shorten(_ADDRESS.sub("", text[0])) if text else ""
    return f"{name}: {first}" if first else name


def _message_text(message: Any) -> str:
    """A warning's message, as the report lists it (shortened); never raises."""
    text, exc = _converted(str, message)
    if exc is not None:
        name = type(message).__name__
        return f"{_a(name)} whose message cannot be shown (str() raised {type(exc).__name__})"
    return _shorten(_ADDRESS.sub("", text))


def _error_reason(exc: BaseException) -> str:
    """The report's reason for an exception: "raised TypeName", or "called sys.exit(code)"."""
    if isinstance(exc, SystemExit):
        code = "" if not exc.args else _short_repr(exc.code)
        return f"called sys.exit({code})"
    return f"raised {type(exc).__name__}"


def _short_repr(x: Any) -> str:
    text, exc = _converted(repr, x)
    if exc is not None:
        return f"<{_a(type(x).__name__)}>"
    return _shorten(_ADDRESS.sub("", text).replace("\n", " "))


def _converted(convert, x: Any) -> tuple[str | None, BaseException | None]:
    """``(convert(x), None)`` for ``str`` or ``repr``, or ``(None, the exception)`` when the
    reader's object raises there; only what must stop a check (KeyboardInterrupt) propagates."""
    try:
        return convert(x), None
    except BaseException as exc:
        if _propagates(exc):
            raise
        return None, exc


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
NONE_HINT = "your function returned None: a missing `return`?"
RESULT_HINT = "return a NumPy array of real numbers (or a float for a single number)"
TORCH_GRAD_HINT = (
    "your function returned a torch tensor that requires grad, which NumPy cannot read: return "
    "t.detach().numpy() (.detach() leaves the autograd graph), or compute with NumPy throughout"
)
TIMEOUT_HINT = (
    "your function was still running after {limit} on this input, where the reference takes "
    "milliseconds: an endless loop (a `while` whose condition never changes)? For more time, "
    "pass timeout= (in seconds) to exercises.check"
)
EXIT_HINT = (
    "your function called sys.exit (or exit(), quit(), raise SystemExit), which would stop the "
    "whole program: return the result, and raise ValueError for an input it cannot handle"
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
        "that requires grad",
        "a torch tensor that requires grad cannot become a NumPy array: call .detach() first "
        "(t.detach().numpy()), or compute with NumPy throughout",
    ),
    (
        "out of bounds for array of dimension",
        "your function uses an axis the input does not have: the last axis is axis=-1, whatever "
        "the number of dimensions",
    ),
)


def _exception_hint(ex: Exercise, exc: BaseException, text: str | None = None) -> str:
    if isinstance(exc, SystemExit):
        return EXIT_HINT
    text = _exc_text(exc) if text is None else text
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
    timeout: float | None = TIMEOUT,
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
        swapped = _quiet(fn, *case.args[::-1], timeout=timeout)
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


def grade(
    ex: Exercise, fn: Callable[..., Any], timeout: float | None = TIMEOUT
) -> tuple[int, Failure | None]:
    """Run every case of ``ex`` in order; return the number of cases and the first failure.

    Each call of ``fn`` may take ``timeout`` seconds (None: no limit), see :func:`_limited`.
    """
    cases = ex.cases()
    for number, case in enumerate(cases, 1):
        outcome = _run(fn, case.args, ex.params, timeout)
        if case.refuse_shapes:
            failure = _grade_refusal(ex, case, number, outcome)
        else:
            failure = _grade_values(ex, case, number, outcome, fn, timeout)
        if failure is not None:
            return len(cases), failure
    return len(cases), None


def _fail(
    case, number, reason, hint, expected, got, outcome, expected_text=None, same=False,
    got_text=None,
) -> Failure:
    e_text, g_text = _fmt_pair(expected, got, same, got_text)
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


def _no_numbers(case, number, hint, expected, outcome, expected_text=None) -> Failure:
    """The failure of a call that did not return real numbers: it raised, was stopped, or
    returned something else (``outcome.reason`` and ``outcome.text`` say which)."""
    got = outcome.error if outcome.error is not None else outcome.value
    text = f"raised {outcome.text}" if outcome.error is not None else outcome.text
    return _fail(
        case, number, outcome.reason, hint, expected, got, outcome, expected_text,
        got_text=text,
    )


def _grade_values(ex, case, number, outcome, fn, timeout=TIMEOUT) -> Failure | None:
    expected = np.asarray(ex.reference(*case.args))
    if outcome.error is not None:
        hint = _exception_hint(ex, outcome.error, outcome.text)
        return _no_numbers(case, number, hint, expected, outcome)
    got = outcome.array
    if got is None:
        return _no_numbers(case, number, outcome.hint, expected, outcome)
    if got.shape != expected.shape:
        reason = f"result has shape {got.shape}, expected {expected.shape}"
        hint = _diagnose(ex, case, fn, got, expected, timeout)
        return _fail(case, number, reason, hint, expected, got, outcome)
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
        hint = _diagnose(ex, case, fn, got, expected, timeout)
        return _fail(case, number, reason, hint, expected, got, outcome)
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
        if isinstance(error, SystemExit):
            hint = EXIT_HINT
        else:
            hint = (
                "raise ValueError for shapes that differ (it is what lossnotes and NumPy raise "
                "for a bad argument)"
            )
        if isinstance(error, AssertionError):
            hint += "; an `assert` is not a check, it disappears under `python -O`"
        return _no_numbers(case, number, hint, matched, outcome, expected_text)
    if outcome.timed_out:
        return _no_numbers(case, number, outcome.hint, matched, outcome, expected_text)
    got = outcome.array
    if got is None:
        return _no_numbers(case, number, BROADCAST_HINT, matched, outcome, expected_text)
    if got.shape in shapes and _close(got.reshape(matched.shape), matched, RTOL, ex.atol):
        return None
    reason = (
        f"returned a result of shape {got.shape} for shapes {y_true.shape} and {y_pred.shape}"
    )
    if got.shape in shapes:
        reason += f", which is not the result for the {n} pairs"
    return _fail(case, number, reason, BROADCAST_HINT, matched, got, outcome, expected_text)
