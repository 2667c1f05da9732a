r"""Exercises: write a loss yourself, and let lossnotes check it.

:func:`check` runs your function against the package's own on seeded random inputs and then
on edge cases (huge logits, tiny probabilities, certain predictions, mismatched shapes), stops
at the first failure and tells you the input, the expected and the actual result, and a hint
that names the likely mistake. It never raises because your answer is wrong.

This module is imported on its own, so that ``import lossnotes`` stays cheap::

    from lossnotes import exercises

How your function is called
---------------------------
Positionally, exactly like the package function with its defaults:

- ``fn(m)`` for the margin losses ``zero_one``, ``hinge`` and ``logistic``, like
  ``ln.hinge(m)``;
- ``fn(z)`` for ``softmax``, over the last axis like ``ln.softmax(z)``;
- ``fn(y_true, y_pred)`` for ``binary_cross_entropy`` and ``categorical_cross_entropy``
  (probabilities, mean reduction), ``mse``, ``mae``, ``huber`` (``delta=1.0``) and
  ``huber_grad``, like ``ln.mse(y_true, y_pred)``;
- ``fn(y_true, logits)`` for ``binary_cross_entropy_grad``: the derivative with respect to the
  **logit**, like ``ln.binary_cross_entropy_grad(y_true, z, from_logits=True)``.
- ``fn(y_true, y_pred, sample_weight)`` for ``weighted_binary_cross_entropy``, the weighted
  mean, like ``ln.binary_cross_entropy(y_true, y_pred, sample_weight=w)``;
- ``fn(y_true, y_pred)`` for ``kl_divergence`` (distributions along the last axis, the mean
  over rows) and ``binary_focal_cross_entropy`` (probabilities, ``gamma=2``, no class
  balancing), like ``ln.kl_divergence(p, q)`` and ``ln.binary_focal_cross_entropy(y, p)``;
- ``fn(labels, logits)`` for ``ignore_index_cross_entropy``: the mean over the labels that are
  not -100, like ``ln.sparse_categorical_cross_entropy(labels, z, from_logits=True,
  ignore_index=-100)``.

:func:`describe` prints what each exercise asks for; ``EXERCISES`` maps each name to its one-line
summary.

What counts as right
--------------------
- **Values**, compared in float64 with a relative tolerance of 1e-9: different correct formulas
  agree to about 1e-14, while precision lost to rounding (``log(1 - p)`` at ``p = 1e-10`` is
  wrong from the 8th digit) fails. The gradient of binary cross-entropy, bounded by 1 in size,
  also has an absolute tolerance of 1e-12. The dtype is free: booleans and integers are fine
  for the 0-1 loss, but a float32 result is too coarse.
- **Shapes**, exactly: elementwise functions return the input's shape; a mean-reduced loss
  returns one number (a float or a 0-d array), not an array of shape (1,) or (N,).
- **Mismatched shapes**: the pairwise exercises (except categorical cross-entropy) are also
  called with ``y_true`` of shape (N,) and ``y_pred`` of shape (N, 1). Raise ``ValueError``,
  as lossnotes does, or treat them as the same N values; broadcasting them to (N, N) fails.
- **Inputs stay untouched**: a function that changes its argument in place fails.
- **Time**: each call must return within 10 seconds (``check(..., timeout=...)`` changes the
  limit); an endless loop is stopped and reported.

Examples
--------
>>> import numpy as np
>>> from lossnotes import exercises
>>> def hinge(m):
...     return np.maximum(0, 1 - m)
>>> exercises.check("hinge", hinge)
✓ hinge: passed 4 checks (seeded random and edge cases)

A perceptron offered as the hinge:

>>> def hinge(m):
...     return np.maximum(0, -m)
>>> report = exercises.check("hinge", hinge)
>>> report.passed
False
>>> print(report.hint)
that is the perceptron loss, max(0, -m); the hinge asks for a margin of 1: max(0, 1 - m)
"""

from __future__ import annotations

import html
import math
import numbers
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from . import _grading
from ._grading_catalogue import EXERCISES as _CATALOGUE

__all__ = ["EXERCISES", "Report", "check", "describe", "names"]

EXERCISES: Mapping[str, str] = MappingProxyType(
    {name: ex.summary for name, ex in _CATALOGUE.items()}
)
"""Each exercise's name and a one-line summary of what to write, in the book's order."""

_WIDTH = 96
# The report lists this many different warnings at most (Report.warnings holds them all).
_MAX_WARNINGS = 5


def _fill(text: str, first: str, rest: str) -> str:
    return textwrap.fill(
        text,
        _WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    )


@dataclass(frozen=True, eq=False)
class Report:
    """The outcome of :func:`check`: printable as text, and as a coloured box in a notebook.

    Attributes
    ----------
    name : str
        The exercise.
    passed : bool
        Whether every check passed.
    message : str
        One line: how many checks passed, or which check failed and how.
    hint : str
        The likely mistake and how to fix it ("" when passed).
    failing_input : dict
        The arguments of the first failing call, by parameter name ({} when passed).
    expected, got
        The reference result and your function's result (an exception if it raised; None if
        it did not return in time) for that input; None when passed.
    check : str
        The label of the failing check ("" when passed).
    called_as : str
        How your function is called, e.g. ``"fn(y_true, logits)"``.
    n_checks : int
        The number of checks in the exercise.
    warnings : tuple of str
        The warnings your function emitted on the failing input (overflow, divide by zero).
    """

    name: str
    passed: bool
    message: str
    hint: str = ""
    failing_input: dict[str, np.ndarray] = field(default_factory=dict)
    expected: Any = None
    got: Any = None
    check: str = ""
    called_as: str = ""
    n_checks: int = 0
    warnings: tuple[str, ...] = ()
    _expected_text: str = field(default="", repr=False)
    _got_text: str = field(default="", repr=False)

    def _header(self) -> str:
        return f"{'✓' if self.passed else '✗'} {self.name}: {self.message}"

    def _details(self) -> list[str]:
        """The failing call, expected and got, as aligned plain-text lines."""
        if self.passed:
            return []
        lines = [f"  called as {self.called_as} with"]
        for param, value in self.failing_input.items():
            prefix = f"    {param} = "
            lines.append(prefix + _grading.fmt(value, prefix))
        lines.append(self._expected_text)
        lines.append(self._got_text)
        if self.warnings:
            shown = list(self.warnings[:_MAX_WARNINGS])
            if len(self.warnings) > _MAX_WARNINGS:
                shown.append(f"and {len(self.warnings) - _MAX_WARNINGS} more")
            lines.append(_grading.wrap("  warnings: " + "; ".join(shown), " " * 12))
        return lines

    def __str__(self) -> str:
        lines = [_fill(self._header(), "", "  "), *self._details()]
        if self.hint:
            lines.append(_fill(self.hint, "  hint: ", "        "))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, background = ("#2e7d32", "#edf7ed") if self.passed else ("#c62828", "#fdeded")
        esc = html.escape
        parts = [
            f'<div style="border-left: 4px solid {colour}; background: {background}; '
            'padding: 0.4em 0.8em; margin: 0.3em 0; color: #1a1a1a;">',
            f"<strong>{esc('✓' if self.passed else '✗')} {esc(self.name)}</strong>: "
            f"{esc(self.message)}",
        ]
        details = self._details()
        if details:
            # Every physical line is indented by at least 2 spaces; the box replaces them.
            body = "\n".join(line[2:] for line in "\n".join(details).splitlines())
            parts.append(
                '<pre style="margin: 0.4em 0; padding: 0; background: transparent; '
                f'font-size: 0.9em;">{esc(body)}</pre>'
            )
        if self.hint:
            parts.append(f"<div><strong>hint:</strong> {esc(self.hint)}</div>")
        parts.append("</div>")
        return "\n".join(parts)


def names() -> tuple[str, ...]:
    """The names of the exercises, in the book's order.

    Examples
    --------
    >>> from lossnotes import exercises
    >>> exercises.names()[:3]
    ('zero_one', 'hinge', 'logistic')
    >>> "huber_grad" in exercises.names()
    True
    """
    return tuple(_CATALOGUE)


def _exercise(name: str) -> _grading.Exercise:
    if not isinstance(name, str) or name not in _CATALOGUE:
        raise ValueError(
            f"unknown exercise {name!r}; the exercises are: {', '.join(_CATALOGUE)}"
        )
    return _CATALOGUE[name]


def describe(name: str) -> str:
    """What the exercise ``name`` asks for: how your function is called and what it returns.

    Parameters
    ----------
    name : str
        One of :func:`names`.

    Returns
    -------
    str
        A few lines of plain text, to print.

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> from lossnotes import exercises
    >>> print(exercises.describe("hinge"))
    hinge: called as fn(m)
      the hinge loss max(0, 1 - m), elementwise
      m: a float64 array of margins y·f(x) (labels y in {-1, +1} times scores), of any shape (1-D
      and 2-D are checked). Return an array of m's shape, one loss per margin; booleans or
      integers are fine (values are compared, not dtypes).
    """
    ex = _exercise(name)
    fill = textwrap.TextWrapper(
        _WIDTH, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
    ).fill
    return f"{ex.name}: called as {ex.call}\n{fill(ex.summary)}\n{fill(ex.details)}"


def _timeout(timeout: Any) -> float | None:
    """``check``'s time limit in seconds, validated; None for no limit."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(
            f"timeout must be a number of seconds, or None for no limit; found "
            f"{type(timeout).__name__}"
        )
    seconds = float(timeout)
    if not seconds > 0:
        raise ValueError(
            f"timeout must be a positive number of seconds, or None for no limit; found {timeout}"
        )
    return None if math.isinf(seconds) else seconds


def check(
    name: str, fn: Callable[..., Any], *, timeout: float | None = _grading.TIMEOUT
) -> Report:
    """Check your implementation ``fn`` of the exercise ``name`` against lossnotes.

    ``fn`` is called positionally like the package function with its defaults: ``fn(m)`` for
    the margin losses ``zero_one``, ``hinge``, ``logistic``; ``fn(z)`` for ``softmax`` (over
    the last axis); ``fn(y_true, y_pred)`` for ``binary_cross_entropy``,
    ``categorical_cross_entropy`` (probabilities, mean reduction), ``mse``, ``mae``, ``huber``
    (``delta=1.0``) and ``huber_grad``; and **fn(y_true, logits)** for
    ``binary_cross_entropy_grad``, which is the derivative with respect to the logit, as
    ``ln.binary_cross_entropy_grad(y_true, z, from_logits=True)``. The arguments are float64
    NumPy arrays; :func:`describe` gives each exercise's shapes and ranges.

    The checks run in a fixed order, seeded random inputs first and then edge cases, and stop
    at the first failure, so the same function always gets the same report.

    Parameters
    ----------
    name : str
        The exercise, one of :func:`names`.
    fn : callable
        Your implementation.
    timeout : float or None, optional
        The seconds each call of ``fn`` may take, 10 by default; None (or inf) for no limit. A
        call still running then is stopped and reported: "did not return within 10 s".

    Returns
    -------
    Report
        ``report.passed`` is True when every check passed. Otherwise the report holds the
        failing input, the expected result and yours, and a hint. It prints as text and shows
        as a coloured box in a notebook.

    Raises
    ------
    ValueError
        If ``name`` is not an exercise (the message lists them), or ``timeout`` is not
        positive.
    TypeError
        If ``fn`` is not callable, or ``timeout`` is not a number or None.

    Notes
    -----
    Nothing your function does makes ``check`` raise: its exceptions (``sys.exit()`` and other
    BaseExceptions too), warnings (overflow, division by zero, invalid values), wrong shapes,
    wrong values, results that are not real numbers or cannot even be shown, and changes to its
    inputs are all reported. Only KeyboardInterrupt (the notebook's stop button) propagates.
    Long results are shown shortened.

    The time limit is a SIGALRM timer, so it works on Linux and macOS (in a notebook too) when
    ``check`` is called from the main thread; it restores any previous SIGALRM handler and
    timer afterwards. Where that is impossible (Windows, another thread) your function runs
    without a limit. Python code is stopped at once; a single long NumPy operation only when it
    returns.

    The hint comes from recognising the mistake: your result is compared with those of
    known-wrong implementations (the sum instead of the mean, the perceptron loss for the
    hinge, the labels and predictions swapped, a softmax over the wrong axis, ...), and
    otherwise says what the failing check is there to catch.

    Examples
    --------
    >>> import numpy as np
    >>> from lossnotes import exercises
    >>> def mse(y_true, y_pred):
    ...     y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    ...     if y_true.shape != y_pred.shape:
    ...         raise ValueError("y_true and y_pred must have the same shape")
    ...     return np.mean((y_true - y_pred) ** 2)
    >>> exercises.check("mse", mse).passed
    True

    The sum where the mean is asked:

    >>> def mse(y_true, y_pred):
    ...     return np.sum((y_true - y_pred) ** 2)
    >>> print(exercises.check("mse", mse))
    ✗ mse: failed check 1 of 3 (seeded random targets and predictions): wrong value (relative error
      9; tolerance rtol=1e-09)
      called as fn(y_true, y_pred) with
        y_true = [ 5.85,  0.1 ,  4.03, -2.37,  1.36,  2.18, -3.82, -0.48,  1.39,  5.02]
        y_pred = [-0.69,  1.87, -1.18,  2.04,  5.06,  3.08, -3.07, -2.39, -3.03, -0.94]
      expected: 16.62653
      got:      166.2653
      hint: you returned the sum; the loss asks for the mean over all elements (np.mean, or the sum
            divided by the number of elements)
    """
    ex = _exercise(name)
    if not callable(fn):
        raise TypeError(f"fn must be a function (callable); found {type(fn).__name__}")
    n_checks, failure = _grading.grade(ex, fn, _timeout(timeout))
    if failure is None:
        return Report(
            name=ex.name,
            passed=True,
            message=f"passed {n_checks} checks (seeded random and edge cases)",
            called_as=ex.call,
            n_checks=n_checks,
        )
    message = (
        f"failed check {failure.number} of {n_checks} ({failure.case.label}): {failure.reason}"
    )
    return Report(
        name=ex.name,
        passed=False,
        message=message,
        hint=failure.hint,
        failing_input={p: a.copy() for p, a in zip(ex.params, failure.case.args, strict=True)},
        expected=failure.expected,
        got=failure.got,
        check=failure.case.label,
        called_as=ex.call,
        n_checks=n_checks,
        warnings=failure.warnings,
        _expected_text=failure.expected_text,
        _got_text=failure.got_text,
    )
