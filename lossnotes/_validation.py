"""Input checks shared by every loss.

Each check raises :class:`ValueError` with a message that names the argument, says what was
found and what was expected. Nothing is broadcast or clipped here: a loss either gets arrays of
the shape and range its formula is defined on, or the caller hears why not.
"""

from __future__ import annotations

import functools

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def _where(mask: np.ndarray) -> str:
    """Describe the first position where ``mask`` is true, for error messages.

    O(1) extra memory: one ``argmax`` and one count, never a list of every position."""
    count = int(np.count_nonzero(mask))
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(mask)), mask.shape))
    where = f"at index {index}" if index else "in the scalar"
    return f"{where} ({count} such element{'s' if count != 1 else ''})"


def where_row(mask: np.ndarray, axis: int) -> str:
    """Describe the first row where ``mask`` is true, for a ``mask`` of one value per row
    along ``axis`` (kept, of length 1)."""
    rows = np.squeeze(mask, axis=axis)
    return _where(rows) if rows.ndim else "(the only row)"


def _asarray(x, name: str) -> np.ndarray:
    """``np.asarray(x)``, with an error that names the argument when NumPy cannot make one."""
    if isinstance(x, np.ma.MaskedArray):
        raise ValueError(
            f"{name} is a masked array ({int(np.ma.count_masked(x))} masked element(s)); "
            "lossnotes does not apply masks: pass only the valid elements (for example "
            f"{name}.compressed() for both arguments alike) or {name}.filled(value)"
        )
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError) as exc:
        kind = type(x).__module__.split(".")[0]
        hint = ""
        if kind == "torch" and getattr(x, "requires_grad", False):
            hint = "; it is a torch tensor that requires grad: pass x.detach()"
        elif kind == "torch":
            hint = f"; it is a torch tensor of dtype {getattr(x, 'dtype', '?')}: pass x.double()"
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(
            f"{name} cannot be read as an array of numbers ({text}); expected a rectangular "
            f"array of real numbers{hint}"
        ) from None


def quiet(fn):
    """Run ``fn`` with every floating-point warning off: a loss handles its infinities and
    zeros itself (and says so where it does), so no warning escapes a public function.

    NumPy 2's ``np.errstate`` decorator sets the state once per call and is re-entrant, at
    half the cost of a ``with`` block; NumPy 1's would share one saved state between nested
    calls (``squared_hinge`` calls ``hinge``) and leave warnings off afterwards, so there
    each call gets a ``with`` block of its own."""
    if _NUMPY_2:
        return np.errstate(all="ignore")(fn)

    @functools.wraps(fn)
    def quietly(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return quietly


_NUMPY_2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def as_float_array(x, name: str, dtype=None) -> np.ndarray:
    """Return ``x`` as a floating array, refusing NaN and non-real values.

    Integer and boolean inputs become float64 unless ``dtype`` is given; floating inputs keep
    their dtype, so float32 predictions give float32 losses. A cast to ``dtype`` that would
    turn a finite value into an infinity (``1e6`` into float16) is refused.
    """
    arr = as_floats(x, name, dtype)
    check_no_nan(arr, name)
    return arr


def as_floats(x, name: str, dtype=None) -> np.ndarray:
    """:func:`as_float_array` without the NaN check: for a caller that checks the range of
    ``x`` (a NaN is out of every range) or finds a NaN in its result."""
    arr = x if type(x) is np.ndarray else _asarray(x, name)
    kind = arr.dtype.kind
    if kind != "f":
        if kind not in "iub":  # signed and unsigned integer, bool
            raise ValueError(f"{name} must hold real numbers; found dtype {arr.dtype}")
        if dtype is None:
            return arr.astype(np.float64)
    return arr if dtype is None else _cast(arr, np.dtype(dtype), name)


def check_no_nan(x: np.ndarray, name: str) -> None:
    if has_nan(x):
        raise ValueError(f"{name} contains NaN {_where(np.isnan(x))}; expected real numbers")


def has_nan(x: np.ndarray) -> bool:
    """Whether ``x`` holds a NaN: a NaN makes the minimum NaN, so one reduction tells, and a
    mask is built only afterwards, to name the position."""
    lo = np.minimum.reduce(x, axis=None) if x.size else 0
    return lo != lo


def _cast(arr: np.ndarray, dtype: np.dtype, name: str) -> np.ndarray:
    if arr.dtype == dtype:
        return arr
    with np.errstate(over="ignore", invalid="ignore"):
        out = arr.astype(dtype)
    if arr.size and np.finfo(dtype).bits < 64 and not (np.isfinite(out.min())
                                                       and np.isfinite(out.max())):
        overflow = np.isinf(out) & np.isfinite(arr)
        if overflow.any():
            raise ValueError(
                f"{name} holds {first(arr, overflow)!r} {_where(overflow)}, beyond the largest "
                f"{dtype} ({float(np.finfo(dtype).max):g}), the dtype the loss is computed in "
                f"(the prediction's); expected values that fit {dtype}, or a wider prediction"
            )
    return out


def check_number(value, name: str, lo: float, hi: float, expected: str,
                 upper_open: bool = False) -> float:
    """A real number (not a bool) in [lo, hi], or [lo, hi) with ``upper_open``, as a float;
    ``expected`` says so in the error. NaN fails the range check."""
    if type(value) is float and lo <= value and (value < hi if upper_open else value <= hi):
        return value  # the common case, checked without NumPy
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(f"{name} must be {expected}; found {value!r} ({type(value).__name__})")
    v = float(value)
    if not (lo <= v and (v < hi if upper_open else v <= hi)):
        raise ValueError(f"{name} must be {expected}; found {value!r}")
    return v


def check_flag(value, name: str) -> bool:
    """A True/False option (``from_logits``): a bool or a NumPy bool, nothing truthy."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False; found {value!r} ({type(value).__name__})")


def pair(y_true, y_pred, true_name: str = "y_true", pred_name: str = "y_pred", *,
         check_true=check_no_nan, check_pred=check_no_nan):
    """Convert a (target, prediction) pair to arrays of the prediction's floating dtype.

    The shapes must be equal: (N, 1) against (N,) is refused rather than broadcast to (N, N).
    ``check_true(y_true, true_name)`` and ``check_pred(y_pred, pred_name)`` check each array as
    given, the targets before they are rounded to the prediction's dtype (so ``1 + 1e-10`` is
    not a probability even against float32). Each must refuse NaN, as the default does and as
    a range check does; ``None`` leaves a NaN to the caller, who finds it in its result.
    """
    y_pred = as_floats(y_pred, pred_name)
    y_true = as_floats(y_true, true_name)
    if check_pred is not None:
        check_pred(y_pred, pred_name)
    if check_true is not None:
        check_true(y_true, true_name)
    y_true = _cast(y_true, y_pred.dtype, true_name)
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
    """The first offending value, as a plain Python number for messages (O(1) memory)."""
    return x[np.unravel_index(int(np.argmax(mask)), mask.shape)].item()


def check_unit_interval(x: np.ndarray, name: str, what: str = "probabilities", hint: str = ""):
    """Refuse values outside [0, 1] and NaN; return ``x``'s minimum and maximum."""
    if not x.size:
        return 0, 1
    lo, hi = np.minimum.reduce(x, axis=None), np.maximum.reduce(x, axis=None)
    if not (lo >= 0 and hi <= 1):  # a NaN fails both
        check_no_nan(x, name)
        bad = (x < 0) | (x > 1)
        raise ValueError(
            f"{name} must be {what} in [0, 1]; found {first(x, bad)!r} {_where(bad)}{hint}"
        )
    return lo, hi


def check_plus_minus_one(y: np.ndarray, name: str) -> None:
    bad = (y != 1) & (y != -1)
    if bad.any():
        hint = "; labels in {0, 1}? map them with 2*y - 1" if np.all((y == 0) | (y == 1)) else ""
        raise ValueError(
            f"{name} must hold labels in {{-1, +1}}; found {first(y, bad)!r} {_where(bad)}{hint}"
        )


def check_reduction(reduction: str) -> None:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}; found {reduction!r}"
        )


def check_axis(axis: int, ndim: int, name: str = "y_pred") -> int:
    """Return ``axis`` as a non-negative index into an array of ``ndim`` dimensions."""
    axis = check_axis_type(axis)
    if ndim == 0:
        raise ValueError(f"{name} must have a class axis; found a scalar")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {ndim} dimension(s); "
                         f"expected an integer from {-ndim} to {ndim - 1}")
    return axis % ndim


def check_axes(axis, ndim: int, name: str = "z") -> tuple[int, ...]:
    """``axis`` as a sorted tuple of distinct non-negative axes: an integer, a tuple of them,
    or None for every axis (as ``keras.ops`` and ``torch`` take them)."""
    if ndim == 0:
        raise ValueError(f"{name} must have a class axis; found a scalar")
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, tuple):
        if isinstance(axis, list):
            raise TypeError(f"axis must be an integer, a tuple of integers or None; found the "
                            f"list {axis!r}: pass tuple(axis)")
        return (check_axis(axis, ndim, name),)
    if not axis:
        raise ValueError(f"axis is an empty tuple; expected at least one axis of {name}")
    axes = tuple(check_axis(a, ndim, name) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {axis} names an axis of {name} more than once; expected "
                         "distinct axes")
    return tuple(sorted(axes))


def check_axis_type(axis) -> int:
    """``axis`` as a Python int: an integer, not a bool (NumPy would take True as 1)."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer; found {axis!r} ({type(axis).__name__})"
                        + (": pass tuple(axis)" if isinstance(axis, list) else ""))
    return int(axis)


def check_label_shape(labels: np.ndarray, y_pred: np.ndarray, axis: int,
                      name: str = "labels") -> None:
    """Class-index labels must have ``y_pred``'s shape without the class axis."""
    expected = y_pred.shape[:axis] + y_pred.shape[axis + 1 :]
    if labels.shape != expected:
        raise ValueError(
            f"{name} has shape {labels.shape} but y_pred has shape {y_pred.shape} with classes "
            f"on axis {axis}; expected labels of shape {expected} (one class index per sample)"
        )


def check_class_labels(labels: np.ndarray, y_pred: np.ndarray, axis: int) -> None:
    """Class indices: ``y_pred``'s shape without the class axis, integers in [0, C)."""
    check_label_shape(labels, y_pred, axis)
    if labels.dtype.kind not in "iuf":
        raise ValueError(f"labels must be integer class indices; found dtype {labels.dtype}")
    if labels.dtype.kind == "f":
        bad = ~np.isfinite(labels) | (labels != np.round(labels))
        if bad.any():
            raise ValueError(
                f"labels must be integer class indices; found {first(labels, bad)!r}"
            )
    n = y_pred.shape[axis]
    if labels.size and not _below(labels, n):
        bad = (labels < 0) | (labels >= n)
        raise ValueError(
            f"labels must be class indices in [0, {n - 1}] for {n} classes on axis {axis}; "
            f"found {first(labels, bad)!r}"
        )


_UNSIGNED = {np.dtype(t).itemsize: np.dtype(t) for t in (np.uint8, np.uint16, np.uint32,
                                                       np.uint64)}


def _below(labels: np.ndarray, n: int) -> bool:
    """Whether every label is in [0, n). Integers read as unsigned turn a negative label into
    one of at least 2**(bits - 1), so one maximum checks both ends when n is below that."""
    kind, size = labels.dtype.kind, labels.dtype.itemsize
    if kind == "u" or (kind == "i" and n <= 2 ** (8 * size - 1)):
        return bool(np.maximum.reduce(labels.view(_UNSIGNED[size]), axis=None) < n)
    return bool(np.minimum.reduce(labels, axis=None) >= 0
                and np.maximum.reduce(labels, axis=None) < n)


#: The machine epsilon of each floating dtype, without np.finfo's cost per call.
EPS = {np.dtype(t): float(np.finfo(t).eps) for t in (np.float16, np.float32, np.float64,
                                                      np.longdouble)}


def check_rows_sum_to_one(p: np.ndarray, axis: int, name: str,
                          hint: str = "Pass from_logits=True for raw scores") -> None:
    """Probabilities along ``axis`` (values in [0, 1]) must sum to 1, to within the dtype's
    rounding."""
    n, eps = p.shape[axis], EPS[p.dtype]
    # Each of the n entries may be a few ulps off (rounded to the dtype, or computed by a
    # softmax): 8 n eps accepts that and nothing more (float16: 1.02 for two classes is out).
    tol = 8 * max(1, n) * eps
    if p.size >= 1024 and p.dtype.char in "fd" and _within(_matvec_sums(p, axis),
                                                           tol - 2 * n * eps):
        return
    totals = _class_sum(p, axis, np.float64)
    if not _within(totals, tol):
        bad = np.abs(totals - 1) > tol
        raise ValueError(
            f"{name} must sum to 1 along axis {axis} (a probability distribution per sample); "
            f"found a sum of {first(totals, bad)!r} {_where(bad)}. {hint}"
        )


def _matvec_sums(p: np.ndarray, axis: int) -> np.ndarray:
    """The row sums of many rows, fastest: a matrix-vector product adds each row in the dtype
    (float32 or float64), in an order that depends on the CPU, within n eps / 2 of the exact
    sum for entries in [0, 1] that sum to about 1. Rows within a bound narrowed by 2 n eps
    therefore pass on every CPU; the others are decided, and any message written, from
    :func:`_class_sum`."""
    key = (p.shape[axis], p.dtype)
    ones = _ONES.get(key)
    if ones is None:
        ones = _ONES[key] = np.ones(key[0], p.dtype)
    return _class_axis_last(p, axis) @ ones


_ONES: dict = {}  # (n, dtype): n ones, only ever read


def _within(totals: np.ndarray, tol: float) -> bool:
    """Whether every total is within ``tol`` of 1 (an empty array: yes)."""
    return not totals.size or bool(np.minimum.reduce(totals, axis=None) >= 1 - tol
                                   and np.maximum.reduce(totals, axis=None) <= 1 + tol)


def _class_axis_last(a: np.ndarray, axis: int) -> np.ndarray:
    """``np.moveaxis(a, axis, -1)``, without its cost per call when the axis is already last."""
    return a if axis in (-1, a.ndim - 1) else np.moveaxis(a, axis, -1)


def reduce(loss: np.ndarray, reduction: str, sample_weight=None, mul=None, target_weight=None):
    """Apply ``"mean"``, ``"sum"`` or ``"none"`` to an unreduced loss, keeping its dtype,
    weighted by ``sample_weight`` (checked here by :func:`sample_weights`) when given.

    ``target_weight`` (the loss's shape: the class weight of each sample's target, already
    inside ``loss``) enters only the denominator of ``"mean"``: the sum of ``w v``.

    ``loss`` must be a new array: the weights multiply it in place, by ``mul(loss, w, out=)``:
    :func:`_xmul` (a weight of 0 drops its term) unless given (``np.multiply``, the
    frameworks' plain product, for :mod:`lossnotes.like_keras` and
    :mod:`lossnotes.like_torch`). A 0-d loss comes back as a NumPy scalar, as from a ufunc.
    Call it under :data:`quiet`: a total beyond the largest float is ``inf``, its rounding."""
    check_reduction(reduction)
    n, dtype = loss.size, loss.dtype
    w = None if sample_weight is None else sample_weights(sample_weight, loss.shape, dtype)
    mul = mul or _xmul
    if reduction == "none":
        return loss[()] if w is None else mul(loss, w, out=loss)[()]
    if n == 0 and reduction == "mean":
        raise ValueError("cannot take the mean of an empty loss; expected at least one element")
    # NumPy's pairwise summation, accumulated in at least float32 (a float16 sum of more than
    # a few thousand terms of size 1 would overflow); the result keeps the loss's dtype. The
    # mean divides in float64 and rounds to the accumulator's dtype, as ndarray.mean does.
    acc = np.float32 if dtype.char == "e" else dtype.type
    if reduction == "mean" and (w is not None or target_weight is not None):
        w, n = _weight_total(w, target_weight, n, acc)
    if w is not None:
        loss = mul(loss, w, out=loss)  # _xmul: a weight of 0 drops even an infinite term
    total = np.add.reduce(loss, axis=None, dtype=acc)
    if reduction == "mean":
        total = acc(total / n) if dtype.itemsize > 8 else acc(float(total) / float(n))
    return dtype.type(total)


def _weight_total(w: np.ndarray | None, v: np.ndarray | None, n: int, acc):
    """The weights and the denominator of the weighted mean: the sum of the weights over
    the ``n`` elements of the loss (a weight per sample counts once per element of its
    sample), each times its target's weight ``v`` when given. The weights are divided by the
    largest first, which changes no mean and keeps their sum finite and their products with
    the loss from underflowing."""
    if w is not None:
        top = np.maximum.reduce(w, axis=None)
        w = w / top if top > 0 else w
    if v is None:
        total = np.add.reduce(w, axis=None, dtype=acc) * (n // w.size)
    else:
        total = np.add.reduce(v if w is None else w * v, axis=None, dtype=acc)
    if total == 0:
        what = ("sample_weight is 0 everywhere" if v is None else
                "the weights of the targets (sample_weight times the class weight of each "
                "target) are 0 everywhere")
        raise ValueError(
            f"{what}: the weighted mean sum(w l) / sum(w) is 0/0, undefined; expected at "
            "least one positive weight (reduction='sum' gives 0 for a batch that should cost "
            "nothing)"
        )
    return w, total


def sample_weights(sample_weight, shape: tuple, dtype, axis: int | None = None) -> np.ndarray:
    """``sample_weight`` checked against an unreduced loss of ``shape``, in ``dtype``, shaped
    to multiply it: the loss's exact shape, or its leading axes (one weight per sample), to
    which axes of length 1 are appended here. With ``axis``, a length-1 axis is also inserted
    there, to multiply a gradient whose class axis the loss does not have.

    Every weight must be finite and non-negative (a NaN, an infinity or a negative weight is
    refused); a boolean mask reads as 0/1. Nothing else is broadcast: (N, 1) against a loss
    of shape (N,) is refused, and so is a single number against a loss that is not one."""
    w = as_floats(sample_weight, "sample_weight")
    shape = tuple(shape)
    if w.shape != shape[:w.ndim] or (w.ndim == 0 and shape != ()):
        accepted = " or ".join(str(shape[:k]) for k in range(len(shape), 0, -1)) or "()"
        raise ValueError(
            f"sample_weight has shape {w.shape} but the unreduced loss (reduction='none') has "
            f"shape {shape}; expected {accepted} (a weight per element, or one per sample as "
            "the loss's leading axes); nothing is broadcast"
        )
    w = as_weights(w, "sample_weight", dtype)
    w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    return w if axis is None else np.expand_dims(w, axis)


def as_weights(x, name: str, dtype) -> np.ndarray:
    """``x`` as finite non-negative weights in ``dtype`` (a bool reads as 0/1)."""
    w = as_floats(x, name)
    if w.size and not (np.minimum.reduce(w, axis=None) >= 0
                       and np.maximum.reduce(w, axis=None) < np.inf):  # a NaN fails both
        bad = ~(w >= 0) | (w == np.inf)
        raise ValueError(
            f"{name} must hold finite, non-negative weights; found {first(w, bad)!r} "
            f"{_where(bad)}"
        )
    return _cast(w, np.dtype(dtype), name)


@quiet
def weigh(x, sample_weight, loss_shape: tuple | None = None, axis: int | None = None,
          mul=None):
    """``x * w`` for a gradient ``x``, with ``0 * inf`` taken as 0 (``mul`` as for
    :func:`reduce`): the derivative of the weighted unreduced loss. ``loss_shape`` is the
    unreduced loss's shape, ``x``'s unless the loss drops ``x``'s class ``axis``. ``x`` is
    returned as it is when there are no weights."""
    if sample_weight is None:
        return x
    x = np.array(x)  # a new array, multiplied in place
    shape = x.shape if loss_shape is None else loss_shape
    return (mul or _xmul)(x, sample_weights(sample_weight, shape, x.dtype, axis), out=x)[()]


def _xmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a * b`` with ``0 * inf`` taken as 0: a target weight of 0 ignores its term entirely.

    The inputs hold no NaN, so a NaN in the product is a ``0 * inf``: one reduction finds out
    whether there is any, and only then a mask finds where. Adding 0 makes a zero weight's
    ``0 * (-x)`` a +0 (as the term it ignores), and changes no other value. Call it under
    :data:`~lossnotes._validation.quiet`."""
    out = np.multiply(a, b, out=out)
    out += 0
    if has_nan(out):
        if not isinstance(out, np.ndarray):  # a NumPy scalar, from two 0-d operands
            return out.dtype.type(0)
        np.copyto(out, 0, where=np.isnan(out))
    return out


def _class_sum(x: np.ndarray, axis: int, dtype) -> np.ndarray:
    """``x.sum(axis, dtype)``, for many short rows class by class: NumPy's reduction along a
    short axis pays a fixed cost per row (2 ms for 10^5 rows of 10 classes, ten times the
    cost of adding ten columns of 10^5 values). The order of the additions differs, which
    the tolerance of :func:`check_rows_sum_to_one`, the one caller, does not notice."""
    n = x.shape[axis]
    if not 0 < n <= 32 or x.size < 4096:
        return np.add.reduce(x, axis=axis, dtype=dtype)
    cols = np.moveaxis(x, axis, 0)
    total = cols[0].astype(dtype)  # always a copy
    for k in range(1, n):
        total += cols[k]
    return total
