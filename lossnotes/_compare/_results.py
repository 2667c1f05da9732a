"""The results of a comparison: tolerances, values, rows, notes and the printed table."""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field

import numpy as np

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


def tolerance_for(dtype: np.dtype, scale: str) -> Tolerance:
    eps = float(np.finfo(dtype).eps)
    return Tolerance(str(dtype), RTOL[dtype], ATOL_ULPS * eps, scale)


def differences(a, b) -> np.ndarray:
    """|a - b| with equal values (same infinities, both nan) 0 and other non-finite pairs inf."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(a - b)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return np.where(same, 0.0, np.where(np.isfinite(d), d, np.inf))


def within(a, b, s, tol: Tolerance) -> bool:
    if np.shape(a) != np.shape(b):
        return False
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    bound = tol.rtol * np.maximum(np.abs(a64), np.abs(b64)) + tol.atol * np.asarray(s)
    with np.errstate(invalid="ignore"):
        return bool(np.all(differences(a64, b64) <= np.where(np.isfinite(bound), bound, 0.0)))


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


def max_difference(a: Values | None, b: Values | None) -> float | None:
    if a is None or b is None:
        return None
    worst = 0.0
    for (_, x), (_, y) in zip(a.parts(), b.parts(), strict=True):
        if np.shape(x) != np.shape(y):
            return float("inf")
        d = differences(x, y)
        worst = max(worst, float(d.max()) if d.size else 0.0)
    return worst


def values_within(a: Values | None, b: Values | None, s: Values, tol: Tolerance) -> bool:
    if a is None or b is None:
        return False
    return all(
        within(x, y, z, tol)
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
    wrt : tuple of str
        The inputs a gradient is taken with respect to: ``("y_pred",)``, or for a loss of more
        than two inputs those its record names (``("x1", "x2")``), whose derivatives come
        stacked along a new first axis in that order; ``shape`` is the first one's.
    """

    name: str
    quantity: str
    options: dict
    dtype: np.dtype
    shape: tuple
    rows: tuple
    tolerance: Tolerance
    notes: tuple = field(default_factory=tuple)
    wrt: tuple = ("y_pred",)

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
        """For each framework row, one of "agree", "explained", "differs", "error" or "absent"
        (the framework does not ship the loss; a note says why and how to write it)."""
        return {r.label: r.status for r in self._framework_rows()}

    @property
    def agree(self) -> dict:
        """For each framework row, whether it agrees with the exact values within tolerance."""
        return {r.label: r.status == "agree" for r in self._framework_rows()}

    @property
    def ok(self) -> bool:
        """True when every framework agrees or differs only as a documented convention says
        (or does not ship the loss)."""
        return all(r.status in ("agree", "explained", "absent") for r in self._framework_rows())

    # -- rendering ----------------------------------------------------------------------------
    def _title(self) -> str:
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        wrt = " and ".join(self.wrt)
        what = f"gradient with respect to {wrt}" if self.quantity == "gradient" else "loss"
        return f"{self.name}{opts}: {what}, {self.dtype}, {self.wrt[0]} shape {self.shape}"

    def _table(self) -> list[list[str]]:
        grad = self.quantity == "gradient"
        head = [
            "",
            "reduced" if not grad else (f"d(mean)/d{self.wrt[0]}" if len(self.wrt) == 1
                                        else f"d(mean)/d({', '.join(self.wrt)})"),
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
                reduced = show(r.values.reduced, self.dtype)
                shown = show(r.values.elementwise if grad else r.values.per_sample, self.dtype)
            if r.framework == "lossnotes":
                rows.append([r.label, reduced, shown, "", "", r.status])
                continue
            conv = show_difference(r.convention_max_abs_diff, r.convention_within_tolerance)
            rows.append([
                r.label, reduced, shown, show_difference(r.max_abs_diff, r.within_tolerance),
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
            out.extend(wrap(text, key.ljust(label_w) + "  "))
        if self.notes:
            out.append("notes")
            for note in self.notes:
                out.extend(wrap(note.text, "  - " + " and ".join(note.frameworks) + ": ",
                                 indent="      "))
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    # -- the compact rendering ----------------------------------------------------------------
    def _is_specific(self, note: Note) -> bool:
        # A note is specific to this call when it can explain the verdict of a framework that
        # did not simply agree, or says why a framework is absent or failed; descriptions of how
        # a framework is always called, and conventions that changed nothing here, are general.
        status = {r.framework: r.status for r in self._framework_rows()}
        verdicts = [status.get(f) for f in note.frameworks]
        if any(v in ("absent", "error") for v in verdicts):
            return True
        return note.explains and any(v in ("explained", "differs") for v in verdicts)

    def compact(self) -> Compact:
        """The verdicts and only the notes specific to this call.

        A note is *specific* when it explains the verdict of a framework that did not agree
        (``"explained"`` or ``"differs"``), or concerns a framework that is ``"absent"`` or
        failed; the others (how each framework is called, conventions that changed nothing
        here) are *general*: the text rendering counts them, the HTML rendering folds them
        behind a toggle. The full rendering, ``print(result)``, is unchanged.

        Returns
        -------
        Compact
            ``.specific`` and ``.general``, tuples of Note; prints as the title, one line
            per row (reduced value and verdict) and the specific notes.

        Examples
        --------
        >>> import lossnotes as ln
        >>> r = ln.compare("binary_cross_entropy", [1.0, 0.0], [0.0, 0.5])
        >>> c = r.compact()
        >>> [n.frameworks for n in c.specific]
        [('keras',), ('torch',)]
        >>> len(c.specific) + len(c.general) == len(r.notes)
        True
        """
        specific = tuple(n for n in self.notes if self._is_specific(n))
        general = tuple(n for n in self.notes if not self._is_specific(n))
        return Compact(self, specific, general)

    def _repr_html_(self) -> str:
        # An accessible table: the title is its caption, every header cell has text and a
        # scope (the rows' labels are row headers), values stay in <code>. Spacing and colours
        # come from the page (the book styles .lossnotes-comparison in both colour modes).
        e = html.escape
        table = self._table()
        head = "".join(f'<th scope="col">{e(c or "computed by")}</th>' for c in table[0])
        body = []
        for row in table[1:]:
            status = row[-1]
            shown = f"<strong>{e(status)}</strong>" if status in ("differs", "error") else e(status)
            cells = [f'<th scope="row">{e(row[0])}</th>']
            cells += [f"<td><code>{e(c)}</code></td>" for c in row[1:-1]]
            cells.append(f"<td>{shown}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        extra = "".join(
            f"<li><b>{e(k)}</b>: <code>{e(t)}</code></li>" for k, t in self._extra_lines()
        )
        notes = "".join(
            f"<li><b>{e(' and '.join(n.frameworks))}</b>: {e(n.text)}</li>" for n in self.notes
        )
        return (
            f'<div class="lossnotes-comparison"><table><caption>{e(self._title())}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<ul>{extra}</ul>" + (f"<p>notes</p><ul>{notes}</ul>" if notes else "") + "</div>"
        )


@dataclass(frozen=True, repr=False)
class Compact:
    """:meth:`Comparison.compact`: a comparison's verdicts and the notes specific to the call.

    Attributes
    ----------
    comparison : Comparison
        The full result.
    specific : tuple of Note
        The notes that explain a verdict other than "agree", or an absent or failed framework.
    general : tuple of Note
        The other notes: shown folded in HTML, counted in text.
    """

    comparison: Comparison
    specific: tuple
    general: tuple

    def _table(self) -> list[list[str]]:
        c = self.comparison
        head = ["", "d(mean)/dy_pred" if c.quantity == "gradient" else "reduced", "status"]
        return [head] + [[r.label, "-" if r.values is None else show(r.values.reduced, c.dtype),
                          r.status] for r in c.rows]

    def _general_line(self) -> str:
        n = len(self.general)
        return (f"{n} general note{'s' if n != 1 else ''} not shown (print the full result)"
                if n else "")

    def __str__(self) -> str:
        table = self._table()
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        out = [self.comparison._title(), ""]
        for row in table:
            out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if self.specific:
            out.append("")
            out.append("notes")
            for note in self.specific:
                out.extend(wrap(note.text, "  - " + " and ".join(note.frameworks) + ": ",
                                indent="      "))
        if self.general:
            out.extend(["", self._general_line()])
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        # The same accessible table as the full rendering, with fewer columns; the general
        # notes fold into a <details> element, closed by default.
        e = html.escape
        table = self._table()
        head = "".join(f'<th scope="col">{e(c or "computed by")}</th>' for c in table[0])

        def verdict(status):
            return f"<strong>{e(status)}</strong>" if status in ("differs", "error") else e(status)

        body = "".join(
            f'<tr><th scope="row">{e(label)}</th><td><code>{e(value)}</code></td>'
            f"<td>{verdict(status)}</td></tr>"
            for label, value, status in table[1:]
        )

        def items(notes):
            return "".join(f"<li><b>{e(' and '.join(n.frameworks))}</b>: {e(n.text)}</li>"
                           for n in notes)

        specific = f"<p>notes</p><ul>{items(self.specific)}</ul>" if self.specific else ""
        general = (f"<details><summary>{len(self.general)} general "
                   f"note{'s' if len(self.general) != 1 else ''}</summary>"
                   f"<ul>{items(self.general)}</ul></details>" if self.general else "")
        return (
            f'<div class="lossnotes-comparison"><table><caption>'
            f"{e(self.comparison._title())}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{specific}{general}</div>"
        )


# Significant digits shown (reduced value, elements): each platform's exp and log, and each
# framework's kernels, may round the last bit or two differently, so a printed value stops at
# least ~100 ulps above its last bit; what a table prints then holds on every CPU.
_DIGITS = {np.dtype(np.float64): (8, 6), np.dtype(np.float32): (5, 5)}


def show(x, dtype: np.dtype) -> str:
    whole, part = _DIGITS[np.dtype(dtype)]
    a = np.asarray(x)
    if a.ndim == 0:
        return f"{float(a):.{whole}g}"
    flat = a.ravel()
    shown = ", ".join(f"{float(v):.{part}g}" for v in flat[:3])
    more = ", ..." if flat.size > 3 else ""
    return f"[{shown}{more}] {a.shape}"


def show_difference(d: float | None, within: bool) -> str:
    """A difference inside the tolerance as that claim (its digits, even whether it is 0, are
    rounding noise that changes with the CPU), one outside it in full."""
    if d is None:
        return "-"
    return "<= tol" if within else f"{d:.2g}"


def wrap(text: str, first: str, indent: str | None = None, width: int = 100) -> list[str]:
    indent = " " * len(first) if indent is None else indent
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent,
                         break_on_hyphens=False) or [first.rstrip()]


