"""Input checks shared by every loss.

Each check raises :class:`ValueError` with a message that names the argument, says what was
found and what was expected. Nothing is broadcast or clipped here: a loss either gets arrays of
the shape and range its formula is defined on, or the caller hears why not.
"""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def _where(mask: np.ndarray) -> str:
    """Describe the first position where ``mask`` is true, for error messages."""
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    count = int(np.count_nonzero(mask))
    where = f"at index {index}" if index else "in the scalar"
    return f"{where} ({count} such element{'s' if count != 1 else ''})"


def as_float_array(x, name: str, dtype=None) -> np.ndarray:
    """Return ``x`` as a floating array, refusing NaN and non-real values.

    Integer and boolean inputs become float64 unless ``dtype`` is given; floating inputs keep
    their dtype, so float32 predictions give float32 losses.
    """
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must hold real numbers; found dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    nan = np.isnan(arr)
    if nan.any():
        raise ValueError(f"{name} contains NaN {_where(nan)}; expected real numbers")
    return arr


def pair(y_true, y_pred, true_name: str = "y_true", pred_name: str = "y_pred"):
    """Convert a (target, prediction) pair to arrays of the prediction's floating dtype.

    The shapes must be equal: (N, 1) against (N,) is refused rather than broadcast to (N, N).
    """
    y_pred = as_float_array(y_pred, pred_name)
    y_true = as_float_array(y_true, true_name, dtype=y_pred.dtype)
    check_same_shape(y_true, y_pred, true_name, pred_name)
    return y_true, y_pred


def check_same_shape(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    if a.shape != b.shape:
        hint = ""
        if a.size == b.size:
            hint = " (same number of elements: reshape one of them, nothing is broadcast)"
        raise ValueError(
            f"{a_name} has shape {a.shape} but {b_name} has shape {b.shape}; "
            f"expected equal shapes{hint}"
        )


def first(x: np.ndarray, mask: np.ndarray):
    """The first offending value, as a plain Python number for messages."""
    return x[mask].flat[0].item()


def check_unit_interval(
    x: np.ndarray, name: str, what: str = "probabilities", hint: str = ""
) -> None:
    bad = (x < 0) | (x > 1)
    if bad.any():
        raise ValueError(
            f"{name} must be {what} in [0, 1]; found {first(x, bad)!r} {_where(bad)}{hint}"
        )


def check_plus_minus_one(y: np.ndarray, name: str) -> None:
    bad = (y != 1) & (y != -1)
    if bad.any():
        hint = "; labels in {0, 1}? map them with 2*y - 1" if np.all((y == 0) | (y == 1)) else ""
        raise ValueError(
            f"{name} must hold labels in {{-1, +1}}; found {first(y, bad)!r} {_where(bad)}{hint}"
        )


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}; found {reduction!r}"
        )


def check_axis(axis: int, ndim: int, name: str = "y_pred") -> int:
    """Return ``axis`` as a non-negative index into an array of ``ndim`` dimensions."""
    if ndim == 0:
        raise ValueError(f"{name} must have a class axis; found a scalar")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {ndim} dimension(s)")
    return axis % ndim


def check_label_shape(labels: np.ndarray, y_pred: np.ndarray, axis: int,
                      name: str = "labels") -> None:
    """Class-index labels must have ``y_pred``'s shape without the class axis."""
    expected = y_pred.shape[:axis] + y_pred.shape[axis + 1 :]
    if labels.shape != expected:
        raise ValueError(
            f"{name} has shape {labels.shape} but y_pred has shape {y_pred.shape} with classes "
            f"on axis {axis}; expected labels of shape {expected} (one class index per sample)"
        )


def check_rows_sum_to_one(p: np.ndarray, axis: int, name: str) -> None:
    """Probabilities along ``axis`` must sum to 1, to within the dtype's rounding."""
    totals = p.sum(axis=axis, dtype=np.float64)
    tol = np.sqrt(np.finfo(p.dtype).eps) * max(1, p.shape[axis] ** 0.5)
    bad = np.abs(totals - 1) > tol
    if bad.any():
        raise ValueError(
            f"{name} must sum to 1 along axis {axis} (a probability distribution per sample); "
            f"found a sum of {first(totals, bad)!r} {_where(bad)}. "
            "Pass from_logits=True for raw scores"
        )


def reduce(loss: np.ndarray, reduction: str):
    """Apply ``"mean"``, ``"sum"`` or ``"none"`` to an unreduced loss, keeping its dtype."""
    check_reduction(reduction)
    if reduction == "none":
        return loss
    if loss.size == 0 and reduction == "mean":
        raise ValueError("cannot take the mean of an empty loss; expected at least one element")
    # Accumulate in at least float64-like precision only where NumPy already does (pairwise
    # summation); the result keeps the loss's dtype.
    out = loss.mean() if reduction == "mean" else loss.sum()
    return loss.dtype.type(out)
