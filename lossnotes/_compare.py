r"""Side by side: each hand-derived loss and gradient against tf.keras and torch.nn.functional.

:func:`compare` and :func:`compare_grad` run one loss of lossnotes and the matching Keras and
torch calls on the same inputs, each framework with its own argument order, axis and label
conventions, and return a :class:`Comparison`: the values, per sample and reduced, the largest
differences, a verdict per framework and the notes that explain any difference.
"""

from __future__ import annotations

import html
import textwrap
import warnings
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from . import _conventions, _frameworks
from ._cross_entropy import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    categorical_cross_entropy,
    categorical_cross_entropy_grad,
    sparse_categorical_cross_entropy,
    sparse_categorical_cross_entropy_grad,
)
from ._margin import (
    hinge,
    hinge_grad,
    logistic,
    logistic_grad,
    margin,
    squared_hinge,
    squared_hinge_grad,
)
from ._regression import huber, huber_grad, mae, mae_grad, mse, mse_grad
from ._validation import (
    as_float_array,
    check_axis,
    check_axis_type,
    check_flag,
    check_label_shape,
    check_same_shape,
)

FRAMEWORKS = ("keras", "torch")

# --------------------------------------------------------------------------------------------
# tolerances
# --------------------------------------------------------------------------------------------

#: Relative tolerance per dtype; see :func:`compare`'s Notes for the reasoning.
RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}
#: The absolute floor is ATOL_ULPS machine epsilons times a loss-specific scale s.
ATOL_ULPS = 8


@dataclass(frozen=True)
class Tolerance:
    """The agreement test: ``|a - b| <= rtol * max(|a|, |b|) + atol * s`` element by element.

    ``s`` is the size of the intermediate terms of the formula at that element (``scale``
    says which); a non-finite value agrees only with the same value (``inf`` with ``inf``,
    ``nan`` with ``nan``).
    """

    dtype: str
    rtol: float
    atol: float
    scale: str

    def __str__(self) -> str:
        return (
            f"{self.dtype}: |a - b| <= {self.rtol:.0e} * max(|a|, |b|) + {self.atol:.1e} * s, "
            f"s = {self.scale}"
        )


def _tolerance(dtype: np.dtype, scale: str) -> Tolerance:
    eps = float(np.finfo(dtype).eps)
    return Tolerance(str(dtype), RTOL[dtype], ATOL_ULPS * eps, scale)


def _diff(a, b) -> np.ndarray:
    """|a - b| with equal values (same infinities, both nan) 0 and other non-finite pairs inf."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(a - b)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return np.where(same, 0.0, np.where(np.isfinite(d), d, np.inf))


def _close(a, b, s, tol: Tolerance) -> bool:
    if np.shape(a) != np.shape(b):
        return False
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    bound = tol.rtol * np.maximum(np.abs(a64), np.abs(b64)) + tol.atol * np.asarray(s)
    with np.errstate(invalid="ignore"):
        return bool(np.all(_diff(a64, b64) <= np.where(np.isfinite(bound), bound, 0.0)))


# --------------------------------------------------------------------------------------------
# values and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Values:
    """One computation's output: per element, per sample (Keras's view) and reduced.

    For a loss, ``elementwise`` holds the unreduced losses (one per element, or per row for the
    categorical losses), ``per_sample`` the mean over the last axis as Keras returns it (the
    rows themselves for the categorical losses) and ``reduced`` the mean of everything. For a
    gradient, ``elementwise`` is the derivative of the summed unreduced losses with respect to
    each prediction, ``per_sample`` is None and ``reduced`` the derivative of the mean.
    """

    elementwise: np.ndarray
    per_sample: np.ndarray | None
    reduced: np.ndarray

    def parts(self):
        yield "elementwise", self.elementwise
        if self.per_sample is not None:
            yield "per_sample", self.per_sample
        yield "reduced", self.reduced


def _max_diff(a: Values | None, b: Values | None) -> float | None:
    if a is None or b is None:
        return None
    worst = 0.0
    for (_, x), (_, y) in zip(a.parts(), b.parts(), strict=True):
        if np.shape(x) != np.shape(y):
            return float("inf")
        d = _diff(x, y)
        worst = max(worst, float(d.max()) if d.size else 0.0)
    return worst


def _values_close(a: Values | None, b: Values | None, s: Values, tol: Tolerance) -> bool:
    if a is None or b is None:
        return False
    return all(
        _close(x, y, z, tol)
        for (_, x), (_, y), (_, z) in zip(a.parts(), b.parts(), s.parts(), strict=True)
    )


@dataclass(frozen=True)
class Note:
    """A convention that applies to this call, for one or both frameworks."""

    frameworks: tuple
    text: str
    #: Whether the note can explain a difference (False for descriptions of how a framework
    #: was called, such as torch's argument order).
    explains: bool = True

    def __str__(self) -> str:
        return f"{' and '.join(self.frameworks)}: {self.text}"


@dataclass(frozen=True)
class Row:
    """One line of a comparison: lossnotes itself, or one framework call."""

    label: str
    framework: str
    call: str
    values: Values | None
    error: str | None = None
    #: lossnotes under this framework's convention (None for the lossnotes row).
    convention_values: Values | None = None
    convention_error: str | None = None
    max_abs_diff: float | None = None
    convention_max_abs_diff: float | None = None
    #: Whether the values are within the tolerance of lossnotes' exact values, and of lossnotes
    #: under this framework's convention.
    within_tolerance: bool = False
    convention_within_tolerance: bool = False
    status: str = ""




@dataclass(frozen=True, repr=False)
class Comparison:
    """The result of :func:`compare` or :func:`compare_grad`.

    Attributes
    ----------
    name : str
        The loss compared.
    quantity : {"loss", "gradient"}
        What was compared: loss values, or derivatives with respect to ``y_pred``.
    options : dict
        The loss's options (``from_logits``, ``axis``, ``delta``).
    dtype : numpy.dtype
        The floating dtype of ``y_pred``, used by every computation.
    shape : tuple
        ``y_pred``'s shape.
    rows : tuple of Row
        lossnotes first, then one row per framework call.
    tolerance : Tolerance
        The test of agreement, chosen from the dtype.
    notes : tuple of Note
        The conventions that apply to this call, in plain language.
    """

    name: str
    quantity: str
    options: dict
    dtype: np.dtype
    shape: tuple
    rows: tuple
    tolerance: Tolerance
    notes: tuple = field(default_factory=tuple)

    # -- dictionaries keyed by row label ------------------------------------------------------
    def _framework_rows(self):
        return [r for r in self.rows if r.framework != "lossnotes"]

    @property
    def reduced(self) -> dict:
        """The reduced value of each row (None where a computation was refused or failed)."""
        return {r.label: None if r.values is None else r.values.reduced for r in self.rows}

    @property
    def per_sample(self) -> dict:
        """Per-sample values, as Keras returns them (the mean over the last axis); losses only."""
        return {r.label: None if r.values is None else r.values.per_sample for r in self.rows}

    @property
    def elementwise(self) -> dict:
        """Per-element values (per row for the categorical losses)."""
        return {r.label: None if r.values is None else r.values.elementwise for r in self.rows}

    @property
    def max_abs_diff(self) -> dict:
        """For each framework row, the largest absolute difference from lossnotes' exact values."""
        return {r.label: r.max_abs_diff for r in self._framework_rows()}

    @property
    def status(self) -> dict:
        """For each framework row, one of "agree", "explained", "differs" or "error"."""
        return {r.label: r.status for r in self._framework_rows()}

    @property
    def agree(self) -> dict:
        """For each framework row, whether it agrees with the exact values within tolerance."""
        return {r.label: r.status == "agree" for r in self._framework_rows()}

    @property
    def ok(self) -> bool:
        """True when every framework agrees or differs only as a documented convention says."""
        return all(r.status in ("agree", "explained") for r in self._framework_rows())

    # -- rendering ----------------------------------------------------------------------------
    def _title(self) -> str:
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        what = "gradient with respect to y_pred" if self.quantity == "gradient" else "loss"
        return f"{self.name}{opts}: {what}, {self.dtype}, y_pred shape {self.shape}"

    def _table(self) -> list[list[str]]:
        grad = self.quantity == "gradient"
        head = [
            "",
            "reduced" if not grad else "d(mean)/dy_pred",
            "per sample" if not grad else "elementwise",
            "max|diff| exact",
            "max|diff| convention",
            "status",
        ]
        rows = [head]
        for r in self.rows:
            if r.values is None:
                reduced = shown = "-"
            else:
                reduced = _fmt(r.values.reduced, self.dtype)
                shown = _fmt(r.values.elementwise if grad else r.values.per_sample, self.dtype)
            if r.framework == "lossnotes":
                rows.append([r.label, reduced, shown, "", "", r.status])
                continue
            conv = _fmt_diff(r.convention_max_abs_diff, r.convention_within_tolerance)
            rows.append([
                r.label, reduced, shown, _fmt_diff(r.max_abs_diff, r.within_tolerance),
                f"{conv} ({r.framework})", r.status,
            ])
        return rows

    def _extra_lines(self) -> list[tuple[str, str]]:
        lines = [("tolerance", str(self.tolerance))]
        for r in self.rows:
            lines.append((r.label, r.call))
        for r in self.rows:
            if r.error:
                lines.append((f"{r.label} {'refused' if r.framework == 'lossnotes' else 'error'}",
                              r.error))
        return lines

    def __str__(self) -> str:
        table = self._table()
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        out = [self._title(), ""]
        for row in table:
            out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        out.append("")
        label_w = max(len(k) for k, _ in self._extra_lines())
        for key, text in self._extra_lines():
            out.extend(_wrap(text, key.ljust(label_w) + "  "))
        if self.notes:
            out.append("notes")
            for note in self.notes:
                out.extend(_wrap(note.text, "  - " + " and ".join(note.frameworks) + ": ",
                                 indent="      "))
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        e = html.escape
        table = self._table()
        head = "".join(f"<th>{e(c)}</th>" for c in table[0])
        body = []
        for row in table[1:]:
            status = row[-1]
            style = ' style="color:#b00020;font-weight:bold"' if status in (
                "differs", "error") else ""
            cells = [f"<th>{e(row[0])}</th>"] + [f"<td><code>{e(c)}</code></td>" for c in row[1:-1]]
            cells.append(f"<td{style}>{e(status)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        extra = "".join(
            f"<li><b>{e(k)}</b>: <code>{e(t)}</code></li>" for k, t in self._extra_lines()
        )
        notes = "".join(
            f"<li><b>{e(' and '.join(n.frameworks))}</b>: {e(n.text)}</li>" for n in self.notes
        )
        return (
            f"<div class=\"lossnotes-comparison\"><p><b>{e(self._title())}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<ul>{extra}</ul>" + (f"<p>notes</p><ul>{notes}</ul>" if notes else "") + "</div>"
        )


# Significant digits shown (reduced value, elements): each platform's exp and log, and each
# framework's kernels, may round the last bit or two differently, so a printed value stops at
# least ~100 ulps above its last bit; what a table prints then holds on every CPU.
_DIGITS = {np.dtype(np.float64): (8, 6), np.dtype(np.float32): (5, 5)}


def _fmt(x, dtype: np.dtype) -> str:
    whole, part = _DIGITS[np.dtype(dtype)]
    a = np.asarray(x)
    if a.ndim == 0:
        return f"{float(a):.{whole}g}"
    flat = a.ravel()
    shown = ", ".join(f"{float(v):.{part}g}" for v in flat[:3])
    more = ", ..." if flat.size > 3 else ""
    return f"[{shown}{more}] {a.shape}"


def _fmt_diff(d: float | None, within: bool) -> str:
    """A difference inside the tolerance as that claim (its digits, even whether it is 0, are
    rounding noise that changes with the CPU), one outside it in full."""
    if d is None:
        return "-"
    return "<= tol" if within else f"{d:.2g}"


def _wrap(text: str, first: str, indent: str | None = None, width: int = 100) -> list[str]:
    indent = " " * len(first) if indent is None else indent
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent,
                         break_on_hyphens=False) or [first.rstrip()]


# --------------------------------------------------------------------------------------------
# the losses
# --------------------------------------------------------------------------------------------

_KERAS_LAST_AXIS = (
    "Keras returns one value per sample, the mean over the last axis (shape {shape} -> "
    "{out}); compare also calls it with a trailing axis of length 1 to get per-element "
    "values, and reduces by averaging its per-sample values, as a Keras loss object does by "
    "default."
)
_KERAS_LAST_AXIS_GRAD = (
    "Keras returns one value per sample, the mean over the last axis (shape {shape} -> "
    "{out}); compare differentiates the sum of its per-element values (a call with a trailing "
    "axis of length 1) and the mean of its per-sample values, as a Keras loss object reduces "
    "by default."
)
_TORCH_ORDER = (
    "torch.nn.functional takes (input, target) = (y_pred, y_true), the reverse of Keras and "
    "lossnotes; reduction='none' keeps every element and 'mean' averages over all of them, "
    "like lossnotes' 'mean'."
)


class _Loss:
    """How one covered loss is computed by lossnotes, Keras and torch."""

    name = ""
    rowwise = False  # categorical losses: one value per row, classes along an axis
    option_defaults: ClassVar[dict] = {}

    # inputs ---------------------------------------------------------------------------------
    def options(self, given: dict) -> dict:
        unknown = sorted(set(given) - set(self.option_defaults))
        if unknown:
            allowed = ", ".join(self.option_defaults) or "none"
            raise TypeError(
                f"compare({self.name!r}) got unexpected option(s) {', '.join(unknown)}; "
                f"expected: {allowed}"
            )
        opts = {**self.option_defaults, **given}
        # Checked here, before any input is read or any loss called: a str "False" or an array
        # would be read as true, and NumPy would take axis=True as 1 and crash on 1.5 or None.
        if "from_logits" in opts:
            opts["from_logits"] = check_flag(opts["from_logits"], "from_logits")
        if "axis" in opts:
            opts["axis"] = check_axis_type(opts["axis"])
        return opts

    def prepare(self, y_true, y_pred, opts):
        y_pred = as_float_array(y_pred, "y_pred")
        y_true = as_float_array(y_true, "y_true", dtype=y_pred.dtype)
        check_same_shape(y_true, y_pred, "y_true", "y_pred")
        if y_pred.ndim == 0:
            raise ValueError(
                "y_pred is a scalar; compare needs at least one axis (Keras averages over the "
                "last one): pass [value]"
            )
        return y_true, y_pred

    # lossnotes ------------------------------------------------------------------------------
    def hand(self, y, p, opts, convention):
        raise NotImplementedError

    def hand_grad(self, y, p, opts, convention):
        raise NotImplementedError

    # frameworks -----------------------------------------------------------------------------
    def keras_fn(self, keras, y, p, opts):
        """Keras's native call: per-sample values (tensor)."""
        raise NotImplementedError

    def torch_fn(self, label, torch, F, p, y, opts, reduction):
        raise NotImplementedError

    # tolerance and notes --------------------------------------------------------------------
    scale_text = "1"
    grad_scale_text = "1"

    def describe_scale(self, opts, grad) -> str:
        """What s is in the tolerance, for these options."""
        return self.grad_scale_text if grad else self.scale_text

    def scale(self, y, p, opts, grad):
        return np.ones(self.out_shape(p, opts, grad))

    def out_shape(self, p, opts, grad):
        return p.shape

    def notes(self, y, p, opts, grad, frameworks) -> list[Note]:
        """The descriptions of how each framework is called, then the conventions that apply."""
        out = self.specific_notes(y, p, opts, grad)
        out = [n for n in out if n.explains] + self.call_notes(p, opts, frameworks, grad) + [
            n for n in out if not n.explains]
        return [n for n in out if any(f in frameworks for f in n.frameworks)]

    def call_notes(self, p, opts, frameworks, grad) -> list[Note]:
        out = []
        if "keras" in frameworks:
            text = _KERAS_LAST_AXIS_GRAD if grad else _KERAS_LAST_AXIS
            out.append(Note(("keras",), text.format(shape=p.shape, out=p.shape[:-1]),
                            explains=False))
        if "torch" in frameworks:
            out.append(Note(("torch",), _TORCH_ORDER, explains=False))
        return out

    def specific_notes(self, y, p, opts, grad) -> list[Note]:
        return []



class _BinaryCrossEntropy(_Loss):
    name = "binary_cross_entropy"
    option_defaults: ClassVar[dict] = {"from_logits": False}

    def calls(self, opts):
        fl = opts["from_logits"]
        suffix = ", from_logits=True" if fl else ""
        torch_fn = "binary_cross_entropy_with_logits" if fl else "binary_cross_entropy"
        return (
            f"ln.binary_cross_entropy(y_true, y_pred{suffix}, reduction='none')",
            f"keras.losses.binary_crossentropy(y_true, y_pred{suffix})",
            (("torch", f"F.{torch_fn}(y_pred, y_true, reduction='none')"),),
        )

    def hand(self, y, p, opts, convention):
        return binary_cross_entropy(y, p, from_logits=opts["from_logits"], reduction="none",
                                    convention=convention)

    def hand_grad(self, y, p, opts, convention):
        return binary_cross_entropy_grad(y, p, from_logits=opts["from_logits"],
                                         convention=convention)

    def keras_fn(self, keras, y, p, opts):
        return keras.losses.binary_crossentropy(y, p, from_logits=opts["from_logits"])

    def torch_fn(self, label, torch, F, p, y, opts, reduction):
        if opts["from_logits"]:
            return F.binary_cross_entropy_with_logits(p, y, reduction=reduction)
        return F.binary_cross_entropy(p, y, reduction=reduction)

    def describe_scale(self, opts, grad):
        if opts["from_logits"]:
            return "1" if grad else "max(1, |z|) (max(z, 0) - z y cancels terms of size |z|)"
        if grad:
            return "y/p + (1 - y)/(1 - p) (the two terms of the derivative)"
        return "1 (each log term is accurate to a few ulp of 1)"

    def scale(self, y, p, opts, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            if opts["from_logits"]:
                s = np.ones_like(p) if grad else np.maximum(1, np.abs(p))
            elif grad:
                s = np.abs(y / p) + np.abs((1 - y) / (1 - p))
            else:
                s = np.ones_like(p)
        return np.where(np.isfinite(s), s, 1)

    def specific_notes(self, y, p, opts, grad):
        out = []
        eps_lo, eps_hi = _conventions.keras_clip_bounds(p.dtype)
        if opts["from_logits"]:
            if not grad and np.isinf(p).any():
                out.append(Note(("keras",), (
                    "Keras evaluates max(z, 0) - z y + log(1 + exp(-|z|)) literally "
                    "(tf.nn.sigmoid_cross_entropy_with_logits): an infinite logit gives nan "
                    "(0 * inf or inf - inf), except z = -inf with y = 1, which gives inf; the "
                    "exact loss is 0 for a right infinite logit and inf for a wrong one.")))
                out.append(Note(("torch",), (
                    "torch evaluates (1 - y) z - log sigmoid(z) literally: an infinite logit "
                    "gives nan wherever 0 * inf or inf - inf appears.")))
            return out
        if ((p < eps_lo) | (p > eps_hi)).any():
            out.append(Note(("keras",), (
                "Keras clips probabilities to [1e-7, 1 - 1e-7] before taking logs (1 - 1e-7 "
                "rounds to 0.99999988 in float32): a certain and wrong prediction costs "
                "-log(1e-7) = 16.118 (15.942 at p = 1 in float32) instead of inf, a certain and "
                "right one 1e-7 (1.19e-7 in float32) instead of 0, and the gradient is 0 "
                "wherever it clipped.")))
        if p.dtype == np.float32 and ((y < 1) & (p > 0) & (p < 1e-3)).any():
            out.append(Note(("keras",), (
                "Keras evaluates log(1 - p) with log, not log1p: in float32 a small p loses "
                "relative precision (p = 1e-4 costs 1.000216e-4 instead of 1.000050e-4), "
                "a difference below the tolerance's absolute floor.")))
        tiny = np.exp(_conventions.TORCH_LOG_CLAMP)
        clamped = ((y > 0) & (p < tiny)) | ((y < 1) & (1 - p < tiny))
        if grad:
            clamped = (1 - p) * p < _conventions.TORCH_BCE_GRAD_EPS
        if clamped.any():
            out.append(Note(("torch",), (
                "torch clamps each log at -100: a certain and wrong prediction costs 100 "
                "instead of inf. Its backward ignores the clamp and divides by "
                "max(p(1 - p), 1e-12): the derivative is -1e12 (not -inf) at p = 0, y = 1, and "
                "finite (not 0) where Keras clipped.")))
        return out


class _Categorical(_Loss):
    rowwise = True

    def prepare_axis(self, p, opts):
        return check_axis(opts["axis"], p.ndim)

    def out_shape(self, p, opts, grad):
        if grad:
            return p.shape
        axis = self.prepare_axis(p, opts)
        return p.shape[:axis] + p.shape[axis + 1:]

    def to_keras(self, x, axis):
        return np.moveaxis(x, axis, -1)

    def torch_dim(self, p, axis):
        return 0 if p.ndim == 1 else 1

    def call_notes(self, p, opts, frameworks, grad):
        axis = self.prepare_axis(p, opts)
        out = []
        if "keras" in frameworks and axis != p.ndim - 1:
            out.append(Note(("keras",), (
                f"Keras wants the classes on the last axis: compare moves axis {axis} there."),
                explains=False))
        if "torch" in frameworks:
            out.append(Note(("torch",), _TORCH_ORDER, explains=False))
            dim = self.torch_dim(p, axis)
            tshape = np.moveaxis(np.empty(p.shape, dtype=np.bool_), axis, dim).shape
            where = "dimension 1" if dim == 1 else "dimension 0 (one unbatched sample)"
            out.append(Note(("torch",), (
                f"torch wants the classes on {where}: compare moves axis {axis} there "
                f"(y_pred shape {p.shape} -> {tshape})."), explains=False))
        return out

    def scale(self, y, p, opts, grad):
        axis = self.prepare_axis(p, opts)
        weight = self.target_weight(y, p, axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            if opts["from_logits"]:
                if grad:
                    s = np.broadcast_to(np.expand_dims(weight, axis), p.shape)
                else:
                    s = weight * np.maximum(1, np.max(np.where(np.isfinite(p), np.abs(p), 0),
                                                      axis=axis))
            elif grad:
                s = self.grad_terms(y, p, axis)
            else:
                s = weight
        s = np.asarray(s, dtype=np.float64)
        return np.where(np.isfinite(s), np.maximum(s, 1), 1)

    def rows_off(self, p, axis) -> bool:
        """Whether renormalising a row can move the loss by more than the tolerance's floor.

        Dividing by a sum s shifts each log-probability by log s, about s - 1: visible once
        |s - 1| exceeds a few epsilons, even where the exact formula still accepts the row
        as a distribution up to rounding (it allows sqrt(eps)).
        """
        totals = p.sum(axis=axis, dtype=np.float64)
        return bool((np.abs(totals - 1) > ATOL_ULPS * np.finfo(p.dtype).eps).any())

    def logit_inf_notes(self, p, categorical: bool):
        if not np.isposinf(p).any() and not (categorical and np.isneginf(p).any()):
            return []
        extra = (" In categorical cross-entropy a target of 0 times a log-probability of -inf "
                 "gives nan as well; lossnotes takes 0 log 0 = 0.") if categorical else ""
        return [Note(("keras", "torch"), (
            "Keras and torch evaluate log_softmax(z) = z - logsumexp(z) without limits: a row "
            "holding a +inf logit gives nan, where lossnotes returns the limit (the +inf "
            "logits share the probability)." + extra))]


class _CategoricalCrossEntropy(_Categorical):
    name = "categorical_cross_entropy"
    option_defaults: ClassVar[dict] = {"from_logits": False, "axis": -1}

    def calls(self, opts):
        fl = opts["from_logits"]
        suffix = ", from_logits=True" if fl else ""
        t = "F.cross_entropy(y_pred, y_true" if fl else "F.cross_entropy(torch.log(y_pred), y_true"
        return (
            f"ln.categorical_cross_entropy(y_true, y_pred{suffix}, axis={opts['axis']}, "
            "reduction='none')",
            f"keras.losses.categorical_crossentropy(y_true, y_pred{suffix})",
            (("torch", f"{t}, reduction='none'), probability targets, classes on dim 1"),),
        )

    def target_weight(self, y, p, axis):
        return np.sum(y, axis=axis)

    def grad_terms(self, y, p, axis):
        s = np.abs(y / p) + np.expand_dims(np.sum(y, axis=axis) / np.sum(p, axis=axis), axis)
        return s

    def hand(self, y, p, opts, convention):
        return categorical_cross_entropy(y, p, from_logits=opts["from_logits"], axis=opts["axis"],
                                         reduction="none", convention=convention)

    def hand_grad(self, y, p, opts, convention):
        return categorical_cross_entropy_grad(y, p, from_logits=opts["from_logits"],
                                              axis=opts["axis"], convention=convention)

    def keras_inputs(self, y, axis):
        return self.to_keras(y, axis)

    def keras_fn(self, keras, y, p, opts):
        return keras.losses.categorical_crossentropy(y, p, from_logits=opts["from_logits"])

    def torch_fn(self, label, torch, F, p, y, opts, reduction):
        logits = p if opts["from_logits"] else torch.log(p)
        return F.cross_entropy(logits, y, reduction=reduction)

    def torch_target(self, torch, y, axis, dim):
        return torch.from_numpy(np.ascontiguousarray(np.moveaxis(y, axis, dim)))

    def describe_scale(self, opts, grad):
        if opts["from_logits"]:
            return "sum(y)" if grad else (
                "sum(y) * max(1, max |z|) per row (z - logsumexp(z) cancels terms of size |z|)")
        return "y/p + sum(y)/sum(p) (the terms of the derivatives)" if grad else "sum(y) per row"

    def specific_notes(self, y, p, opts, grad):
        axis = self.prepare_axis(p, opts)
        if opts["from_logits"]:
            out = self.logit_inf_notes(p, categorical=True)
            if grad and (np.sum(y, axis=axis) != 1).any():
                out.append(Note(("keras",), (
                    "TensorFlow's softmax_cross_entropy_with_logits backpropagates "
                    "softmax(z) - y, which is the derivative of its loss only when each target "
                    "row sums to 1: for a row summing to s the derivative is s softmax(z) - y "
                    "(lossnotes and torch).")))
            return out
        out = []
        off = self.rows_off(p, axis)
        if off:
            out.append(Note(("keras",), (
                "Keras divides each row of probabilities by its sum before clipping, so a row "
                "that does not sum to 1 is renormalised; lossnotes' exact formula takes a row "
                "whose sum is 1 up to rounding (sqrt(eps)) as it is and refuses the others.")))
        if grad:
            out.append(Note(("keras", "torch"), (
                "Both frameworks differentiate through their renormalisation: the gradient is "
                "-y/p + sum(y)/sum(p), the exact -y/p plus one constant per row (along "
                "(1, ..., 1), a direction that leaves the simplex); Keras's is 0 where it "
                "clipped.")))
        with np.errstate(invalid="ignore", divide="ignore"):
            q = p / np.sum(p, axis=axis, keepdims=True)
        lo, hi = _conventions.keras_clip_bounds(p.dtype)
        if ((q < lo) | (q > hi)).any() or np.isnan(q).any():
            out.append(Note(("keras",), (
                "Keras clips the renormalised probabilities to [1e-7, 1 - 1e-7]: a true class "
                "with probability 0 costs -log(1e-7) = 16.118 instead of inf, a certain right "
                "one 1e-7, and the gradient is 0 wherever it clipped; an all-zero row is 0/0 = "
                "nan.")))
        out.append(Note(("torch",), (
            "torch has no cross-entropy on probabilities: compare passes log p as the logits of "
            "F.cross_entropy (probability targets), whose log_softmax turns log p into "
            "log(p / sum p): torch renormalises each row too."), explains=off or grad))
        zero = (p == 0) if grad else ((p == 0) & (y == 0))
        if zero.any():
            out.append(Note(("torch",), (
                "A probability of exactly 0 is log 0 = -inf in torch; multiplied by a target of "
                "0 it gives nan (lossnotes takes 0 log 0 = 0), and its gradient is 0/0 = nan.")))
        return out


class _SparseCategoricalCrossEntropy(_Categorical):
    name = "sparse_categorical_cross_entropy"
    option_defaults: ClassVar[dict] = {"from_logits": False, "axis": -1}

    def prepare(self, y_true, y_pred, opts):
        y_pred = as_float_array(y_pred, "y_pred")
        axis = check_axis(opts["axis"], y_pred.ndim)
        labels = np.asarray(y_true)
        check_label_shape(labels, y_pred, axis, "y_true (the labels)")
        return labels, y_pred

    def calls(self, opts):
        fl = opts["from_logits"]
        suffix = ", from_logits=True" if fl else ""
        t = "F.cross_entropy(y_pred" if fl else "F.nll_loss(torch.log(y_pred)"
        return (
            f"ln.sparse_categorical_cross_entropy(labels, y_pred{suffix}, axis={opts['axis']}, "
            "reduction='none')",
            f"keras.losses.sparse_categorical_crossentropy(labels, y_pred{suffix})",
            (("torch", f"{t}, labels, reduction='none'), classes on dim 1"),),
        )

    def target_weight(self, y, p, axis):
        return np.ones(np.shape(y))

    def grad_terms(self, y, p, axis):
        one_hot = self.one_hot(y, p, axis)
        return np.abs(one_hot / p) + np.expand_dims(1 / np.sum(p, axis=axis), axis)

    def one_hot(self, labels, p, axis):
        oh = np.zeros_like(p)
        idx = np.expand_dims(np.asarray(labels).astype(np.intp), axis)
        np.put_along_axis(oh, idx, 1, axis=axis)
        return oh

    def hand(self, y, p, opts, convention):
        return sparse_categorical_cross_entropy(y, p, from_logits=opts["from_logits"],
                                                axis=opts["axis"], reduction="none",
                                                convention=convention)

    def hand_grad(self, y, p, opts, convention):
        return sparse_categorical_cross_entropy_grad(y, p, from_logits=opts["from_logits"],
                                                     axis=opts["axis"], convention=convention)

    def keras_inputs(self, y, axis):
        return np.asarray(y).astype(np.int64)

    def keras_fn(self, keras, y, p, opts):
        return keras.losses.sparse_categorical_crossentropy(y, p, from_logits=opts["from_logits"])

    def torch_fn(self, label, torch, F, p, y, opts, reduction):
        if opts["from_logits"]:
            return F.cross_entropy(p, y, reduction=reduction)
        return F.nll_loss(torch.log(p), y, reduction=reduction)

    def torch_target(self, torch, y, axis, dim):
        return torch.from_numpy(np.ascontiguousarray(np.asarray(y).astype(np.int64)))

    def describe_scale(self, opts, grad):
        if opts["from_logits"]:
            return "1" if grad else (
                "max(1, max |z|) per row (z - logsumexp(z) cancels terms of size |z|)")
        return "[k = c]/p + 1/sum(p) (the terms of the derivatives)" if grad else "1"

    def specific_notes(self, y, p, opts, grad):
        axis = self.prepare_axis(p, opts)
        if opts["from_logits"]:
            return self.logit_inf_notes(p, categorical=False)
        out = []
        off = self.rows_off(p, axis)
        lo, hi = _conventions.keras_clip_bounds(p.dtype)
        clipped = ((p < lo) | (p > hi)).any()
        if off or clipped or grad:
            out.append(Note(("keras",), (
                "Keras clips the probabilities to [1e-7, 1 - 1e-7], takes their log and then "
                "the log-softmax of that: -log(p_c / sum p) over the clipped row. Rows are "
                "renormalised after clipping (the reverse of its categorical order), a true "
                "class with probability 0 costs about 16.118 instead of inf, and the gradient "
                "is (p/sum(p) - [k = c]) / p inside the clip range, 0 outside.")))
        out.append(Note(("torch",), (
            "torch has no cross-entropy on probabilities: compare passes log p to F.nll_loss, "
            "which takes log-probabilities as they are: no renormalisation, no clipping."
            + (" A row that does not sum to 1 is refused by lossnotes' exact formula (beyond "
               "rounding); torch's value is -log p_c." if off else "")), explains=off))
        if grad:
            others = (p == 0) & (self.one_hot(y, p, axis) == 0)
            if others.any():
                out.append(Note(("torch",), (
                    "autograd through torch.log at p = 0 divides 0 by 0: the gradient of "
                    "another class's zero probability is nan (lossnotes: 0).")))
        return out


class _Regression(_Loss):
    fn = None
    grad_fn = None
    keras_name = ""
    torch_name = ""

    def calls(self, opts):
        extra = "".join(f", {k}={v!r}" for k, v in opts.items())
        return (
            f"ln.{self.name}(y_true, y_pred{extra}, reduction='none')",
            f"keras.losses.{self.keras_name}(y_true, y_pred{extra})",
            (("torch", f"F.{self.torch_name}(y_pred, y_true{extra}, reduction='none')"),),
        )

    def hand(self, y, p, opts, convention):
        return type(self).fn(y, p, reduction="none", **opts)

    def hand_grad(self, y, p, opts, convention):
        return type(self).grad_fn(y, p, **opts)

    def keras_fn(self, keras, y, p, opts):
        return getattr(keras.losses, self.keras_name)(y, p, **opts)

    def torch_fn(self, label, torch, F, p, y, opts, reduction):
        return getattr(F, self.torch_name)(p, y, reduction=reduction, **opts)


class _MSE(_Regression):
    name = "mse"
    fn = staticmethod(mse)
    grad_fn = staticmethod(mse_grad)
    keras_name = "mean_squared_error"
    torch_name = "mse_loss"
    scale_text = "1 (the same residual, squared, in every library)"


class _MAE(_Regression):
    name = "mae"
    fn = staticmethod(mae)
    grad_fn = staticmethod(mae_grad)
    keras_name = "mean_absolute_error"
    torch_name = "l1_loss"
    scale_text = "1 (the same residual in every library)"


class _Huber(_Regression):
    name = "huber"
    fn = staticmethod(huber)
    grad_fn = staticmethod(huber_grad)
    keras_name = "huber"
    torch_name = "huber_loss"
    option_defaults: ClassVar[dict] = {"delta": 1.0}
    scale_text = "max(1, delta |r|) (delta |r| - delta^2/2 cancels terms of that size)"

    def calls(self, opts):
        ln_call, k_call, _ = super().calls(opts)
        d = opts["delta"]
        return ln_call, k_call, (
            ("torch", f"F.huber_loss(y_pred, y_true, delta={d!r}, reduction='none')"),
            ("torch smooth_l1", f"{d!r} * F.smooth_l1_loss(y_pred, y_true, beta={d!r}, "
                                "reduction='none')"),
        )

    def options(self, given):
        opts = super().options(given)
        d = opts["delta"]
        if isinstance(d, bool) or not isinstance(d, int | float | np.floating | np.integer) \
                or not np.isfinite(d) or d <= 0:
            raise ValueError(f"delta must be a positive finite number; found {d!r}")
        opts["delta"] = float(d)
        return opts

    def torch_fn(self, label, torch, F, p, y, opts, reduction):
        d = opts["delta"]
        if label == "torch":
            return F.huber_loss(p, y, reduction=reduction, delta=d)
        return d * F.smooth_l1_loss(p, y, reduction=reduction, beta=d)

    def scale(self, y, p, opts, grad):
        if grad:
            return np.ones_like(p)
        return np.maximum(1, opts["delta"] * np.abs(y - p))

    def specific_notes(self, y, p, opts, grad):
        return [Note(("torch",), (
            "torch's smooth_l1_loss(beta=delta) is Huber divided by delta: the row 'torch "
            "smooth_l1' is delta * smooth_l1_loss(y_pred, y_true, beta=delta), which equals "
            "huber_loss(y_pred, y_true, delta=delta)."), explains=False)]


class _Margin(_Loss):
    """Margin losses: labels y in {-1, +1} (Keras and torch also read 0) and scores."""

    loss_fn = None
    grad_fn = None
    keras_name = ""
    squared = False

    def calls(self, opts):
        return (
            f"ln.{self.name}(ln.margin(y_true, y_pred)), reduced with the mean; its gradient "
            f"with respect to the score is y * ln.{self.name}_grad(m)",
            f"keras.losses.{self.keras_name}(y_true, y_pred)",
            (("torch", self.torch_text),),
        )

    def labels_for(self, y, convention):
        return margin(y, np.ones_like(y), convention=convention)

    @staticmethod
    def _through_nan(fn, m, fill):
        """fn(m), with ``fill`` where the margin is nan: a 0 label times an infinite score,
        which the framework conventions allow (the margin losses themselves refuse nan). The
        loss is then nan; the derivative 0, because the masks of clamp and maximum are false
        at nan and the label 0 multiplies it anyway."""
        nan = np.isnan(m)
        if not nan.any():
            return fn(m)
        return np.where(nan, fill, fn(np.where(nan, 0, m))).astype(m.dtype)

    def hand(self, y, p, opts, convention):
        m = margin(y, p, convention=convention)
        return self._through_nan(type(self).loss_fn, m, np.nan)

    def hand_grad(self, y, p, opts, convention):
        m = margin(y, p, convention=convention)
        g = self._through_nan(lambda x: self.margin_grad(x, convention), m, 0)
        return self.labels_for(y, convention) * g

    def margin_grad(self, m, convention):
        return type(self).grad_fn(m)

    def keras_fn(self, keras, y, p, opts):
        return getattr(keras.losses, self.keras_name)(y, p)

    def label_notes(self, y):
        out = []
        has0, has_neg = (y == 0).any(), (y == -1).any()
        if has0 and not has_neg:
            out.append(Note(("keras",), (
                "Keras converts the labels with 2y - 1 because every label is 0 or 1 (a "
                "single -1 anywhere would turn the conversion off for the whole batch); "
                "lossnotes' exact margin refuses labels in {0, 1}.")))
        elif has0:
            out.append(Note(("keras",), (
                "Keras does not convert these labels because one of them is -1: the 0 labels "
                "are used as they are (margin 0, loss 1 whatever the score).")))
        if has0:
            out.append(Note(("torch",), (
                "The torch formula uses the labels as given: a 0 label makes the margin 0 "
                "(loss 1 whatever the score; nan for an infinite score).")))
        return out


class _Hinge(_Margin):
    name = "hinge"
    loss_fn = staticmethod(hinge)
    keras_name = "hinge"
    torch_text = "torch.clamp(1 - y_true * y_pred, min=0), computed with torch ops"
    scale_text = "max(1, |score|) (1 - y x cancels terms of that size)"

    def margin_grad(self, m, convention):
        return hinge_grad(m, convention=convention)

    def torch_fn(self, label, torch, F, p, y, opts, reduction):
        loss = torch.clamp(1 - y * p, min=0)
        if self.squared:
            loss = torch.square(loss)
        return loss if reduction == "none" else loss.mean()

    def scale(self, y, p, opts, grad):
        s = np.maximum(1, np.abs(p))
        if self.squared:
            s = s * (2 if grad else np.maximum(1, 2 * np.abs(1 - np.abs(p))))
        elif grad:
            s = np.ones_like(p)
        return np.where(np.isfinite(s), s, 1)

    def specific_notes(self, y, p, opts, grad):
        what = "clamp(1 - y x, min=0)" + (" squared" if self.squared else "")
        out = [Note(("torch",), (
            f"torch.nn.functional has no classification hinge loss: compare computes it with "
            f"torch ops as {what}, and its mean for the reduction. F.hinge_embedding_loss is a "
            "different loss: x where y = 1 and max(0, margin - x) where y = -1."),
            explains=False)]
        out += self.label_notes(y)
        if grad and not self.squared:
            with np.errstate(invalid="ignore"):
                m = np.where(y == 0, 0, y) * p
            if (m == 1).any():
                out.append(Note(("keras", "torch"), (
                    "At the kink m = 1 both autograds differentiate 1 - m (TensorFlow's maximum "
                    "passes a tie to its first argument, torch's clamp passes the bound): the "
                    "derivative is -y, where lossnotes chooses the subgradient 0.")))
        return out


class _SquaredHinge(_Hinge):
    name = "squared_hinge"
    loss_fn = staticmethod(squared_hinge)
    grad_fn = staticmethod(squared_hinge_grad)
    keras_name = "squared_hinge"
    squared = True
    torch_text = "torch.square(torch.clamp(1 - y_true * y_pred, min=0)), computed with torch ops"
    scale_text = "max(1, |score|) * max(1, 2|1 - m|) (the error of 1 - m, squared)"
    grad_scale_text = "2 max(1, |score|)"

    def margin_grad(self, m, convention):
        return squared_hinge_grad(m)


class _Logistic(_Margin):
    name = "logistic"
    loss_fn = staticmethod(logistic)
    keras_name = "binary_crossentropy"
    torch_text = "F.soft_margin_loss(y_pred, y_true, reduction='none')"
    scale_text = "max(1, |score|)"

    def calls(self, opts):
        ln_call, _, t = super().calls(opts)
        return (ln_call, "keras.losses.binary_crossentropy((y_true + 1) / 2, y_pred, "
                         "from_logits=True)", t)

    def hand(self, y, p, opts, convention):
        m = margin(y, p)  # every convention reads labels in {-1, +1} only here
        if convention == "keras":
            return binary_cross_entropy((y + 1) / 2, p, from_logits=True, reduction="none",
                                        convention="keras")
        return logistic(m, convention=convention)

    def hand_grad(self, y, p, opts, convention):
        m = margin(y, p)
        if convention == "keras":
            return binary_cross_entropy_grad((y + 1) / 2, p, from_logits=True)
        return y * logistic_grad(m, convention=convention)

    def keras_fn(self, keras, y, p, opts):
        return keras.losses.binary_crossentropy((y + 1) / 2, p, from_logits=True)

    def torch_fn(self, label, torch, F, p, y, opts, reduction):
        return F.soft_margin_loss(p, y, reduction=reduction)

    def scale(self, y, p, opts, grad):
        s = np.ones_like(p) if grad else np.maximum(1, np.abs(p))
        return np.where(np.isfinite(s), s, 1)

    def specific_notes(self, y, p, opts, grad):
        out = [Note(("keras",), (
            "Keras has no margin loss on labels in {-1, +1}: compare calls "
            "binary_crossentropy(t, score, from_logits=True) with t = (y + 1)/2, the same "
            "function of the score."), explains=False)]
        if not grad and np.isinf(p).any():
            out.append(Note(("keras",), (
                "Keras evaluates max(z, 0) - z t + log(1 + exp(-|z|)) literally: an infinite "
                "score gives nan (0 * inf or inf - inf), except a -inf score with y = +1 (inf); "
                "the exact loss is 0 for a right infinite score.")))
        with np.errstate(invalid="ignore", over="ignore"):
            m = y * p
        limit = np.log(np.finfo(p.dtype).max)
        if (-m > limit).any():
            out.append(Note(("torch",), (
                "F.soft_margin_loss evaluates log(1 + exp(-y x)) directly: exp overflows for a "
                f"margin below -{limit:.1f} in {p.dtype}, so the loss is inf instead of -m and "
                "the gradient nan (inf/inf) instead of -y.")))
        return out


_LOSSES = {
    spec.name: spec
    for spec in (
        _BinaryCrossEntropy(), _CategoricalCrossEntropy(), _SparseCategoricalCrossEntropy(),
        _MSE(), _MAE(), _Huber(), _Hinge(), _SquaredHinge(), _Logistic(),
    )
}

#: The names :func:`compare` and :func:`compare_grad` accept.
COVERED = tuple(_LOSSES)


# --------------------------------------------------------------------------------------------
# running the frameworks
# --------------------------------------------------------------------------------------------


def _summarise(spec: _Loss, e: np.ndarray, grad: bool, n: int) -> Values:
    e = np.asarray(e)
    if grad:
        return Values(e, None, e / e.dtype.type(n))
    per_sample = e if spec.rowwise else e.mean(axis=-1)
    return Values(e, np.asarray(per_sample), np.asarray(e.dtype.type(e.mean())))


def _n_terms(spec: _Loss, p: np.ndarray, opts) -> int:
    return int(np.prod(spec.out_shape(p, opts, grad=False)))


def _keras_values(spec: _Loss, y, p, opts, grad: bool) -> Values:
    keras = _frameworks.keras()
    tf = _frameworks.tensorflow()
    ops = keras.ops
    if spec.rowwise:
        axis = spec.prepare_axis(p, opts)
        yk = spec.keras_inputs(y, axis)
        perm = [i for i in range(p.ndim) if i != axis] + [axis]
        if not grad:
            per_sample = np.asarray(spec.keras_fn(keras, yk, np.transpose(p, perm), opts))
            return Values(per_sample, per_sample, np.asarray(ops.mean(per_sample)))
        pt = tf.constant(p)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(pt)
            per_sample = spec.keras_fn(keras, yk, tf.transpose(pt, perm), opts)
            total = tf.reduce_sum(per_sample)
            mean = ops.mean(per_sample)
        g, gm = tape.gradient(total, pt), tape.gradient(mean, pt)
        del tape
        return Values(np.asarray(g), None, np.asarray(gm))
    if not grad:
        elementwise = np.asarray(spec.keras_fn(keras, y[..., None], p[..., None], opts))
        per_sample = np.asarray(spec.keras_fn(keras, y, p, opts))
        return Values(elementwise, per_sample, np.asarray(ops.mean(per_sample)))
    pt = tf.constant(p)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(pt)
        total = tf.reduce_sum(spec.keras_fn(keras, y[..., None], pt[..., None], opts))
        mean = ops.mean(spec.keras_fn(keras, y, pt, opts))
    g, gm = tape.gradient(total, pt), tape.gradient(mean, pt)
    del tape
    return Values(np.asarray(g), None, np.asarray(gm))


def _torch_values(spec: _Loss, label: str, y, p, opts, grad: bool) -> Values:
    torch, F = _frameworks.torch()
    if spec.rowwise:
        axis = spec.prepare_axis(p, opts)
        dim = spec.torch_dim(p, axis)
        yt = spec.torch_target(torch, y, axis, dim)

        def layout(t):
            return t.movedim(axis, dim)
    else:
        yt = torch.from_numpy(np.ascontiguousarray(y))

        def layout(t):
            return t

    def run(reduction):
        pt = torch.tensor(p, requires_grad=grad)
        return pt, spec.torch_fn(label, torch, F, layout(pt), yt, opts, reduction)

    if not grad:
        with torch.no_grad():
            _, e = run("none")
            _, r = run("mean")
        e = e.numpy()
        per_sample = e if spec.rowwise else torch.from_numpy(e).mean(dim=-1).numpy()
        return Values(e, np.asarray(per_sample), np.asarray(r.numpy()))
    pt, e = run("none")
    e.sum().backward()
    pm, r = run("mean")
    r.backward()
    return Values(pt.grad.numpy(), None, pm.grad.numpy())


def _attempt(fn):
    try:
        return fn(), None
    except ValueError as exc:
        return None, str(exc)


def _run(name, y_true, y_pred, frameworks, options, grad: bool) -> Comparison:
    # nan and inf are results here (the edge cases are the point), not floating-point alarms.
    with np.errstate(all="ignore"):
        return _run_quietly(name, y_true, y_pred, frameworks, options, grad)


def _run_quietly(name, y_true, y_pred, frameworks, options, grad: bool) -> Comparison:
    if not isinstance(name, str) or name not in _LOSSES:
        near = [n for n in COVERED if isinstance(name, str) and name.lower() in n]
        hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
        raise ValueError(
            f"unknown loss {name!r}{hint}; compare covers: {', '.join(COVERED)}"
        )
    spec = _LOSSES[name]
    if isinstance(frameworks, str):
        frameworks = (frameworks,)
    given = frameworks
    try:
        frameworks = tuple(frameworks)
    except TypeError:  # not a collection at all (None, a number)
        frameworks = None
    bad = frameworks is None or any(f not in FRAMEWORKS for f in frameworks)
    if bad or not frameworks:
        raise ValueError(
            f"frameworks must be a non-empty selection of {FRAMEWORKS}; found {given!r}"
        )
    opts = spec.options(options)
    y, p = spec.prepare(y_true, y_pred, opts)
    if p.dtype not in RTOL:
        raise ValueError(
            f"y_pred has dtype {p.dtype}; compare works in float32 or float64"
        )
    if spec.rowwise:
        spec.prepare_axis(p, opts)
    if p.size == 0:
        # The lossnotes losses refuse the mean of nothing; compare reports that mean (and the
        # frameworks' would be nan with NumPy's "Mean of empty slice" warnings).
        raise ValueError(
            f"y_pred has shape {p.shape}, no elements; compare needs at least one (it reports "
            "the mean, and the mean of an empty loss is undefined)"
        )
    compute = spec.hand_grad if grad else spec.hand
    n = _n_terms(spec, p, opts)

    exact, exact_error = _attempt(lambda: compute(y, p, opts, "exact"))
    conv = {f: _attempt(lambda f=f: compute(y, p, opts, f)) for f in frameworks}
    if exact_error is not None and all(err is not None for _, err in conv.values()):
        raise ValueError(exact_error)

    def summary(e):
        return None if e is None else _summarise(spec, e, grad, n)

    tol = _tolerance(p.dtype, spec.describe_scale(opts, grad))
    scale = _summarise(spec, np.asarray(spec.scale(y, p, opts, grad), dtype=np.float64), grad, n)
    notes = tuple(spec.notes(y, p, opts, grad, frameworks))
    ln_call, keras_call, torch_calls = spec.calls(opts)
    exact_values = summary(exact)
    rows = [Row("lossnotes", "lossnotes", ln_call, exact_values, error=exact_error,
                status="exact" if exact_error is None else "refused")]
    labelled = []
    if "keras" in frameworks:
        labelled.append(("keras", "keras", keras_call))
    if "torch" in frameworks:
        labelled.extend((label, "torch", call) for label, call in torch_calls)
    warned = []
    for label, fw, call in labelled:
        # Imported before the capture below: a framework's import-time warnings are its own.
        _frameworks.keras() if fw == "keras" else _frameworks.torch()
        # A framework's warnings about this input (Keras's about a single class, say) are
        # part of the result: they become notes instead of escaping from compare.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if fw == "keras":
                    values = _keras_values(spec, y, p, opts, grad)
                else:
                    values = _torch_values(spec, label, y, p, opts, grad)
                error = None
            except _frameworks.FrameworkNotInstalledError:
                raise
            except Exception as exc:  # a framework refusing the input is a result, not a crash
                values, error = None, f"{type(exc).__name__}: {_first_line(exc)}"
        for w in caught:
            note = Note((fw,), f"{label} warned: {w.category.__name__}: "
                               f"{_first_line(w.message)}", explains=False)
            if note not in warned:
                warned.append(note)
        conv_e, conv_error = conv[fw]
        conv_values = summary(conv_e)
        explaining = [nt for nt in notes if fw in nt.frameworks and nt.explains]
        within = error is None and _values_close(exact_values, values, scale, tol)
        conv_within = error is None and _values_close(conv_values, values, scale, tol)
        if error is not None:
            status = "error"
        elif within:
            status = "agree"
        elif explaining and conv_within:
            status = "explained"
        else:
            status = "differs"
        rows.append(Row(
            label, fw, call, values, error=error, convention_values=conv_values,
            convention_error=conv_error, max_abs_diff=_max_diff(exact_values, values),
            convention_max_abs_diff=_max_diff(conv_values, values), within_tolerance=within,
            convention_within_tolerance=conv_within, status=status,
        ))
    return Comparison(
        name=name, quantity="gradient" if grad else "loss", options=opts, dtype=p.dtype,
        shape=p.shape, rows=tuple(rows), tolerance=tol, notes=notes + tuple(warned),
    )


def _first_line(message) -> str:
    lines = str(message).strip().splitlines()
    return lines[0] if lines else ""


def compare(name, y_true, y_pred, *, frameworks=FRAMEWORKS, **options) -> Comparison:
    r"""Run a loss in lossnotes, tf.keras and torch.nn.functional on the same inputs.

    Each framework is called with its own conventions: Keras as ``fn(y_true, y_pred)`` with
    classes on the last axis, torch as ``fn(input=y_pred, target=y_true)`` with classes on
    dimension 1. lossnotes is run three times: exactly, and under each framework's convention
    (``convention="keras"`` / ``"torch"``), which shows whether a difference is the one a
    documented convention predicts.

    Parameters
    ----------
    name : str
        One of ``"binary_cross_entropy"``, ``"categorical_cross_entropy"``,
        ``"sparse_categorical_cross_entropy"``, ``"mse"``, ``"mae"``, ``"huber"``,
        ``"hinge"``, ``"squared_hinge"``, ``"logistic"``.
    y_true : array_like
        Targets in lossnotes' order: the same shape as ``y_pred``; class indices of
        ``y_pred``'s shape without the class axis for the sparse loss; labels in
        :math:`\{-1, +1\}` for the margin losses (``hinge`` and ``squared_hinge`` also take
        0/1 labels, to show how each framework reads them).
    y_pred : array_like
        Predictions (probabilities, logits, or scores), float32 or float64, at least 1-D.
        Every computation uses this dtype.
    frameworks : tuple of {"keras", "torch"}, default both
        Which frameworks to run; each is imported the first time it is needed.
    **options
        The loss's options: ``from_logits`` (cross-entropies), ``axis`` (categorical and
        sparse; the class axis of ``y_pred``), ``delta`` (``huber``).

    Returns
    -------
    Comparison
        The values of every row (``.elementwise``, ``.per_sample`` -- Keras's mean over the last
        axis -- and ``.reduced``, the mean of everything), ``.max_abs_diff`` from lossnotes,
        ``.status`` per framework (``"agree"``, ``"explained"``, ``"differs"`` or ``"error"``),
        ``.ok``, the ``.tolerance`` used and the ``.notes`` that apply. It prints as an aligned
        table and renders as HTML in a notebook.

    Raises
    ------
    ValueError
        For an unknown name, differing shapes, a scalar or empty ``y_pred``, a dtype other
        than float32/float64, or inputs that lossnotes refuses under every convention (NaN,
        probabilities outside [0, 1], ...). When only the exact formula refuses them (a
        probability row that does not sum to 1, hinge labels in {0, 1}), the result shows the
        refusal and what each framework makes of the input.
    TypeError
        For an option the loss does not have, or of the wrong type: ``from_logits`` must be a
        bool, ``axis`` an integer (``delta`` a positive finite number, not a bool, else
        ValueError). Options are checked before anything is computed.
    ImportError
        If TensorFlow or torch is not installed; the message says how to install it.

    Notes
    -----
    A framework **agrees** when every per-element, per-sample and reduced value is within

    .. math::

        |a - b| \le r \max(|a|, |b|) + 8 \varepsilon s,

    where :math:`\varepsilon` is the machine epsilon of the dtype and :math:`s` the size of the
    intermediate terms of the formula at that element (1 for a log of a probability,
    :math:`\max(1, |z|)` where :math:`\max(z, 0) - z y` cancels terms of size :math:`|z|`, ...;
    ``.tolerance`` says which). :math:`r = 10^{-5}` (about 84 :math:`\varepsilon`) in float32
    and :math:`r = 10^{-12}` (about 4500 :math:`\varepsilon`) in float64: each library evaluates
    ``log``, ``exp`` and ``log1p`` to a few ulp in its own way, the loss formulas have
    condition numbers of a few on their domain, and the means are summed in different orders
    (an error growing like :math:`\log_2 N \, \varepsilon` for pairwise and tree sums). The
    float64 bound leaves room for millions of elements and is still :math:`10^5` times smaller
    than the smallest convention effect (Keras's :math:`10^{-7}` clip); the float32 one is
    below every documented difference except those that are themselves a rounding of 1 (a
    perfect prediction costs :math:`1.19 \times 10^{-7}` in Keras float32, which agrees).
    Non-finite values agree only with the same value.

    A framework that does not agree is **explained** when a note that applies to the call
    describes a convention of that framework and lossnotes under that convention agrees with
    it within the same tolerance; otherwise it **differs**. ``python -m lossnotes`` fails on
    any "differs".

    Examples
    --------
    The notes' TensorFlow example, and the same loss at a certain and wrong prediction:

    >>> import lossnotes as ln
    >>> r = ln.compare("binary_cross_entropy", [[[0.0]]], [[[0.5]]])
    >>> r.status
    {'keras': 'agree', 'torch': 'agree'}
    >>> round(float(r.reduced["keras"]), 6)
    0.693147
    >>> r = ln.compare("binary_cross_entropy", [1.0, 0.0], [0.0, 0.5])
    >>> {k: round(float(v), 4) for k, v in r.reduced.items()}
    {'lossnotes': inf, 'keras': 8.4056, 'torch': 50.3466}
    >>> r.status
    {'keras': 'explained', 'torch': 'explained'}
    >>> for note in r.notes[:2]:
    ...     print(note.frameworks, note.text[:48])
    ('keras',) Keras clips probabilities to [1e-7, 1 - 1e-7] be
    ('torch',) torch clamps each log at -100: a certain and wro
    """
    return _run(name, y_true, y_pred, frameworks, options, grad=False)


def compare_grad(name, y_true, y_pred, *, frameworks=FRAMEWORKS, **options) -> Comparison:
    r"""Compare the derivative of a loss with ``tf.GradientTape`` and ``torch.autograd``.

    The lossnotes side is the ``<name>_grad`` function (for the margin losses, the derivative
    with respect to the score, :math:`y L'(m)`); the frameworks differentiate their own loss
    with respect to ``y_pred``: the sum of the unreduced losses gives the per-element
    derivative (``.elementwise``), and their default reduction, the mean, gives ``.reduced``.
    Parameters, tolerance and verdicts are those of :func:`compare`.

    Returns
    -------
    Comparison
        With ``quantity == "gradient"``; ``.per_sample`` is None.

    Examples
    --------
    >>> import lossnotes as ln
    >>> r = ln.compare_grad("hinge", [1.0, -1.0, 1.0], [0.5, 1.0, 1.0])
    >>> r.elementwise["lossnotes"], r.elementwise["torch"]
    (array([-1.,  1.,  0.]), array([-1.,  1., -1.]))
    >>> r.status
    {'keras': 'explained', 'torch': 'explained'}
    """
    return _run(name, y_true, y_pred, frameworks, options, grad=True)
