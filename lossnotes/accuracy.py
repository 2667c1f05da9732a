r"""How accurate is a loss? Errors in units in the last place against a 50-digit reference.

``import lossnotes.accuracy as acc`` (this submodule needs mpmath; ``import lossnotes`` alone
does not import it). For every function of lossnotes there is a reference computed with mpmath
to ``DIGITS`` significant digits, and :func:`measure` reports how far *any* implementation
of that function (lossnotes itself, a naive hand formula, a Keras or torch call wrapped in a
lambda) is from it, point by point, in float16, float32 or float64.

The unit: ulps of the true value
--------------------------------
For a real number :math:`x` and a binary floating-point format with :math:`p` significand
bits and smallest normal exponent :math:`e_{\min}`,

.. math::

    \operatorname{ulp}(x) = 2^{\max(\lfloor \log_2 |x| \rfloor,\, e_{\min}) - p + 1},
    \qquad \operatorname{ulp}(0) = 2^{e_{\min} - p + 1},

the spacing of the floats around :math:`x` (the smallest subnormal for :math:`x = 0` and for
subnormal :math:`x`). The error of a computed float :math:`c` is

.. math::

    \operatorname{err}(c) = \frac{|c - x|}{\operatorname{ulp}(x)},

measured against the *unrounded* true value :math:`x`, so the correctly rounded result
scores at most 0.5, and 1 means "one float away". :func:`ulp_error` completes the definition
where it would break down:

- :math:`x = \pm\infty` (an exact limit, such as the cost of a certain and wrong prediction):
  0 if :math:`c` is that infinity, else ``inf``;
- :math:`x` finite but beyond the largest float: the correctly rounded result is
  :math:`\pm\infty`, which scores 0; anything else scores ``inf``;
- :math:`c` is ``nan`` (or infinite while :math:`x` is finite): ``inf``;
- the sign of a zero is ignored, and a true value that underflows is compared in units of the
  smallest subnormal, so returning 0 for :math:`e^{-10^4}` costs less than half an ulp.

Inputs are read exactly as the floats they are: a grid is first cast to the dtype under test
and the reference is computed from the cast values, so an error measured in float32 is the
error of the float32 *computation*, not of rounding the input.

The grid
--------
:func:`grid` returns, for each function, the inputs in that function's argument order:

- logits and margins: 0 and :math:`\pm 10^k` for :math:`k` from -8 to 4 in steps of 1/16
  (387 values), plus :math:`\pm\infty` (``limits=True``);
- rows of three scores for the softmax family and the categorical losses:
  :math:`(z, 0, -z)` and :math:`(z, z, 0)` (a tie for the maximum), :math:`z` = 0 and
  :math:`\pm 10^k`, :math:`k` from -8 to 4 in steps of 1/8, plus :math:`z = \pm\infty`. Every
  row's maximum is :math:`\ge 0`: ``logsumexp`` itself is ill-conditioned where it is close to
  0 (:math:`\log(e^{a} + e^{b}) \approx 0` with :math:`a, b < 0`) and no float formula is
  accurate there in ulps;
- probabilities: :math:`10^k` for :math:`k` from -12 in steps of 1/16 up to 0.5, and
  :math:`1 - 10^k` (computed in float64, then cast), so from :math:`10^{-12}` to
  :math:`1 - 10^{-12}`, plus 0 and 1; probability rows are :math:`(p, (1-p)/2, (1-p)/2)`;
- targets: binary labels 0, 1 and soft labels 0.25, 0.7; class targets one-hot for each class
  and the soft row (0.2, 0.3, 0.5); class indices 0, 1, 2. The derivatives use hard targets only:
  with a soft target the derivative :math:`\sigma(z) - y` crosses 0 where
  :math:`\sigma(z) = y`, and there it is ill-conditioned (a relative error of the size of the
  rounding of :math:`y` is unavoidable);
- residuals :math:`r = y - \hat y`: 0 and :math:`\pm 10^k`, :math:`k` from -8 to 4 in steps of
  1/16, plus, for Huber, :math:`\delta` itself and :math:`\delta (1 \pm 2^{-j})` for
  :math:`j` in 1, 2, 4, 8, 16, 24, 32, 52 on both signs (both sides of :math:`\delta`), with
  targets :math:`y` = 0 and 3 and :math:`\hat y = y - r` cast to the dtype.

Only unreduced values (per element or per sample) are measured: a mean of many terms has a
rounding error that grows with their number and is not a property of the loss.

The options of the cross-entropies
----------------------------------
Besides ``from_logits``, the options that change each element's formula are measured on the
same grids (each record's ``variants``): ``label_smoothing`` (all three cross-entropies),
``pos_weight`` (binary, a single number) and ``class_weight`` (categorical and sparse, one
weight per class). Like the inputs they are read as the floats lossnotes computes with, the
numbers rounded to the inputs' dtype. ``sample_weight`` is not measured: it multiplies each
finished value, one more rounding (half an ulp) on top of the loss's error, and changes no
formula; an ``ignore_index`` is a sample weight of 0.

Where a variant cannot keep :data:`TARGET`, its registry record states its own bound
(``variant_ulps``, keyed by the variant's options), which :func:`promised` returns given the
options. A derivative with logits and smoothed targets crosses zero where
:math:`\sigma(z)` (or :math:`\operatorname{softmax}(z)_k`) equals the target, and there the
rounding of the sigmoid, an absolute error of about an ulp of the target, makes the error in
ulps of the result unbounded: its bound is that of the grid (set by the grid's point nearest
that zero), and what holds everywhere is an absolute error of a few ulps of the target, which
``tests/test_accuracy.py`` checks on the floats next to the zero.
"""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ._reference import DIGITS, mp
from ._registry import LINKS, LOSSES, Link
from ._validation import (
    as_float_array,
    check_axis,
    check_axis_type,
    check_class_labels,
    check_flag,
    check_plus_minus_one,
    check_same_shape,
    check_unit_interval,
)

__all__ = [
    "DIGITS",
    "FUNCTIONS",
    "CASES",
    "TARGET",
    "promised",
    "bound",
    "Measurement",
    "Survey",
    "grid",
    "measure",
    "reference",
    "rounded",
    "survey",
    "ulp",
    "ulp_error",
]

# name -> (its record in lossnotes._registry, whether it is the loss's gradient): each link,
# each loss and each loss's ``<loss>_grad``.
_RECORDS = {
    **{name: (link, False) for name, link in LINKS.items()},
    **{name + suffix: (loss, suffix == "_grad")
       for name, loss in LOSSES.items() for suffix in ("", "_grad")},
}

#: Every function that has a reference, by name, sorted: each link of the registry, each loss
#: and each loss's gradient ``<loss>_grad``.
FUNCTIONS = tuple(sorted(_RECORDS))


def _variants(record) -> tuple:
    """The option sets that change a record's formula: a loss's variants; a link has one."""
    return ({},) if isinstance(record, Link) else record.variants


#: The accuracy survey's list of measurements, ``(name, options)`` in the order of
#: ``FUNCTIONS``: each function with each option set that changes its formula (a loss's
#: ``variants`` in the registry, for the loss and its gradient alike; ``{}`` for a link).
#: Not the cases of the agreement matrix (``lossnotes._registry.cases``).
CASES = tuple((name, dict(options)) for name in FUNCTIONS
              for options in _variants(_RECORDS[name][0]))

#: The accuracy lossnotes promises, in ulps of the true value, on every grid of :func:`grid`,
#: on every CPU: the bound the test suite holds under each instruction set it can select, and
#: the first rung of :func:`bound`. float32 is looser on purpose: NumPy's float32 ``exp`` and
#: ``log`` are SIMD kernels documented to 2.5 and 3.8 ulp, so a float32 formula that chains
#: two or three of them cannot promise 2 on every CPU. A loss whose formula chains more
#: roundings states a looser bound in its registry record (``ulps``, by dtype): the focal and
#: overlap losses, 10 in float64; the circle loss, ill-conditioned (its condition number grows
#: to about 4 gamma), 256; CTC, 10 in float64 and 256 for its gradient (posteriors computed
#: from log-space sums of T terms). A single variant may state its own (``variant_ulps``):
#: the smoothed and weighted cross-entropies, 4 for the loss in float64 and up to 128 for a
#: derivative with logits near its zero (see "The options of the cross-entropies" above).
TARGET = {"float64": 2.0, "float32": 4.0, "float16": 2.0}

def promised(name: str, dtype="float64", options=None) -> float:
    """The accuracy lossnotes promises for the function ``name`` in ``dtype``, in ulps:
    :data:`TARGET`, or the looser bound its registry record states.

    A record states a looser bound by dtype (``ulps``), for the gradient alone
    (``"float64_grad"``) and for a single variant (``variant_ulps``, keyed by the variant's
    options): with ``options`` (a dict, such as a :class:`Measurement`'s ``options``) the
    promise of that variant, else the one of the function's plain variants.

    >>> from lossnotes import accuracy as acc
    >>> acc.promised("mse"), acc.promised("binary_focal_cross_entropy")
    (2.0, 10.0)
    >>> acc.promised("ctc"), acc.promised("ctc_grad"), acc.promised("ctc_grad", "float32")
    (10.0, 256.0, 4.0)
    >>> smoothed = {"from_logits": True, "label_smoothing": 0.1}
    >>> acc.promised("categorical_cross_entropy_grad"), acc.promised(
    ...     "categorical_cross_entropy_grad", options=smoothed)
    (2.0, 10.0)
    """
    if name not in _RECORDS:
        raise ValueError(f"unknown function {name!r}; expected one of: {', '.join(FUNCTIONS)}")
    dt = _format(dtype)[0].name
    record, grad = _RECORDS[name]
    ulps = dict(getattr(record, "ulps", {}))
    if options:
        options = _check_options(name, dict(options))
        for variant, looser in getattr(record, "variant_ulps", ()):
            if _check_options(name, dict(variant)) == options:
                ulps.update(looser)
    looser = ulps.get(dt, TARGET[dt])
    if grad:  # a bound for the gradient alone, where it chains more roundings than the loss
        looser = ulps.get(f"{dt}_grad", looser)
    return max(TARGET[dt], looser)


_FLOATS = (np.float16, np.float32, np.float64)


def _format(dtype) -> tuple[np.dtype, int, int, int]:
    """``(dtype, p, emin, emax)``: significand bits, smallest and largest normal exponents."""
    try:
        # np.dtype(None) would be float64: a missing dtype is refused, not guessed.
        dt = None if dtype is None else np.dtype(dtype)
    except (TypeError, ValueError):
        dt = None
    if dt is None:
        raise ValueError(f"dtype must be float16, float32 or float64; found {dtype!r}")
    if dt.type not in _FLOATS:
        raise ValueError(f"dtype must be float16, float32 or float64; found {dt}")
    info = np.finfo(dt)
    return dt, info.nmant + 1, info.minexp, info.maxexp - 1


def _ulp_exponent(x, p: int, emin: int) -> int:
    """q such that ulp(x) = 2**q, for a finite mpmath number x."""
    _, man, exp, bc = x._mpf_
    if man == 0:
        return emin - p + 1
    return max(exp + bc - 1, emin) - p + 1


def _round(x, p: int, emin: int, emax: int) -> float:
    """x correctly rounded (to nearest, ties to even) to the format, as a Python float."""
    if mp.isinf(x) or mp.isnan(x):
        return float(x)
    sign, man, exp, _ = x._mpf_
    if man == 0:
        return 0.0
    q = _ulp_exponent(x, p, emin)
    if exp >= q:
        n = man << (exp - q)
    else:
        shift = q - exp
        n = man >> shift
        rest = man - (n << shift)
        half = 1 << (shift - 1)
        if rest > half or (rest == half and n & 1):
            n += 1
    largest = ((1 << p) - 1) << (emax - p + 1)
    if n << max(q, 0) > largest << max(-q, 0):  # n * 2**q > largest, in integers
        value = math.inf
    else:
        value = math.ldexp(n, q)  # exact: n has at most p + 1 bits and 2**q is in range
    return -value if sign else value


def _as_mp(x):
    """An mpmath number from an mpmath number or any real number (read exactly)."""
    return x if isinstance(x, mp.mpf) else mp.mpf(float(x))


def ulp(x, dtype="float64"):
    r"""The unit in the last place of each value of ``x`` in a floating-point format.

    .. math::

        \operatorname{ulp}(x) = 2^{\max(\lfloor \log_2 |x| \rfloor,\, e_{\min}) - p + 1}

    Parameters
    ----------
    x : array_like
        Real numbers: floats, or mpmath numbers such as the values of :func:`reference`.
    dtype : {"float64", "float32", "float16"}, default "float64"
        The format.

    Returns
    -------
    ndarray of float64
        The spacing of the format's floats at each value (at 0 and below the normal range,
        the smallest subnormal); ``inf`` for infinite values; ``nan`` for ``nan``, as
        ``numpy.spacing`` gives: what is not a number has no spacing (not the smallest one).

    Examples
    --------
    >>> import lossnotes.accuracy as acc
    >>> acc.ulp([1.0, 1.5, 0.1, 0.0]).tolist()
    [2.220446049250313e-16, 2.220446049250313e-16, 1.3877787807814457e-17, 5e-324]
    >>> acc.ulp([1.0, 1e4], "float32").tolist()
    [1.1920928955078125e-07, 0.0009765625]
    >>> float(acc.ulp(1.0, "float16"))
    0.0009765625
    >>> acc.ulp([float("inf"), float("nan")]).tolist()
    [inf, nan]
    """
    _, p, emin, _ = _format(dtype)
    scalar = np.ndim(x) == 0
    x = np.asarray([x] if scalar else x, dtype=object)
    out = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        v = _as_mp(x[index])
        if mp.isnan(v):  # its _mpf_ has a zero mantissa, like 0: test it first
            out[index] = math.nan
        elif mp.isinf(v):
            out[index] = math.inf
        else:
            out[index] = math.ldexp(1.0, _ulp_exponent(v, p, emin))
    return out[0] if scalar else out


def rounded(exact, dtype="float64"):
    """The correctly rounded value of each exact number, as an array of ``dtype``.

    Round to nearest, ties to even, with subnormals and overflow to ``inf`` as IEEE 754
    specifies: the best result any implementation could return.

    Parameters
    ----------
    exact : array_like
        mpmath numbers (the values of :func:`reference`) or floats.
    dtype : {"float64", "float32", "float16"}, default "float64"

    Returns
    -------
    ndarray of ``dtype``

    Examples
    --------
    >>> import lossnotes.accuracy as acc
    >>> x = acc.reference("log_sigmoid", [-50.0, 50.0])
    >>> acc.rounded(x)
    array([-5.00000000e+01, -1.92874985e-22])
    >>> acc.rounded(acc.reference("exponential", [-100.0]), "float32")  # e^100 overflows
    array([inf], dtype=float32)
    """
    dt, p, emin, emax = _format(dtype)
    exact = np.asarray(exact, dtype=object)
    out = np.empty(exact.shape, dtype=dt)
    for index in np.ndindex(exact.shape):
        out[index] = _round(_as_mp(exact[index]), p, emin, emax)
    return out


def _ldexp(n: int, k: int) -> float:
    """n * 2**k as a float for a non-negative integer n of any size (inf if too large)."""
    extra = max(n.bit_length() - 64, 0)
    try:
        return math.ldexp(float(n >> extra), k + extra)
    except OverflowError:
        return math.inf


def _error(c: float, x, p: int, emin: int, emax: int) -> float:
    if mp.isnan(x):
        return math.nan
    if mp.isinf(x):
        return 0.0 if c == float(x) else math.inf
    best = _round(x, p, emin, emax)
    if math.isinf(best):  # the true value overflows: the correctly rounded result is +-inf
        return 0.0 if c == best else math.inf
    if not math.isfinite(c):
        return math.inf
    # |c - x| / 2**q in exact integer arithmetic: c = cm 2**ce and x = xm 2**xe exactly.
    sign, man, xe, _ = x._mpf_
    xm = -man if sign else man
    num, den = c.as_integer_ratio()
    ce = 1 - den.bit_length()  # den is a power of 2
    low = min(ce, xe)
    diff = abs((num << (ce - low)) - (xm << (xe - low)))
    return _ldexp(diff, low - _ulp_exponent(x, p, emin))


def ulp_error(computed, exact, dtype=None):
    r"""The error of computed values in units in the last place of the exact ones.

    .. math::

        \operatorname{err}(c) = \frac{|c - x|}{\operatorname{ulp}(x)}

    with the conventions of the module docstring for infinite, overflowing and ``nan`` values.
    The correctly rounded result scores at most 0.5.

    Parameters
    ----------
    computed : array_like
        The values under test (any floats; a float64 value can be scored in float32 ulps).
    exact : array_like
        The true values, of the same shape: mpmath numbers from :func:`reference`, or floats.
    dtype : {"float64", "float32", "float16"}, optional
        The format whose ulps are the unit; by default ``computed``'s dtype (float64 for
        non-floating input).

    Returns
    -------
    ndarray of float64
        One error per value; ``inf`` where a finite true value got ``nan`` or ``inf``.

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> import numpy as np
    >>> import lossnotes.accuracy as acc
    >>> x = acc.reference("log_sigmoid", [-1e-8, 40.0])  # -log 2 - 5e-9, -4.2e-18
    >>> np.log(1 / (1 + np.exp(-np.array([-1e-8, 40.0]))))  # the naive formula
    array([-0.69314719,  0.        ])
    >>> err = acc.ulp_error(np.log(1 / (1 + np.exp(-np.array([-1e-8, 40.0])))), x)
    >>> acc.bound(err).tolist()  # accurate near 0; at 40, 0 for -4.2e-18: no digit is right
    ['<= 2', '>= 2^52']
    """
    computed = np.asarray(computed)
    if dtype is None:
        dtype = computed.dtype if np.issubdtype(computed.dtype, np.floating) else np.float64
    _, p, emin, emax = _format(dtype)
    exact = np.asarray(exact, dtype=object)
    if computed.shape != exact.shape:
        raise ValueError(
            f"computed has shape {computed.shape} but exact has shape {exact.shape}; "
            "expected equal shapes (measure unreduced, per-element values)"
        )
    out = np.empty(computed.shape)
    for index in np.ndindex(computed.shape):
        out[index] = _error(float(computed[index]), _as_mp(exact[index]), p, emin, emax)
    return out


def bound(ulps, dtype="float64", target=None) -> str:
    r"""An error in ulps as the claim it supports, in words that hold on every CPU.

    The error of an elementary function in floating point changes in its last digits from one
    CPU (and one instruction set of NumPy or torch) to the next, so a printed ``1.3 ulp``
    is true of one machine only. ``bound`` reports the least rung of a coarse ladder that the
    error stays under, with room to spare:

    - ``"0"``: exact;
    - ``"<= T"`` with ``T = TARGET[dtype]`` (2 ulp in float64, 4 in float32), or ``target``
      when given (a function's own promise, :func:`promised`): as accurate as promised;
    - ``"<= 10"``, ``"<= 100"``, ``"<= 1e3"``, ... (above the first rung): digits lost, about
      :math:`\log_{10}` of the bound of them;
    - ``">= 2^52"`` (float64; ``">= 2^23"`` in float32, ``">= 2^10"`` in float16) once the
      error reaches :math:`2^{p-1}` ulp, :math:`p` the number of significand bits: a relative
      error of at least 1/2, not one correct digit;
    - ``"inf"``: ``nan``, or an infinity where the true value is finite (or the reverse).

    Parameters
    ----------
    ulps : float or array_like
        Errors as :func:`ulp_error` returns them (non-negative, ``inf`` allowed).
    dtype : {"float64", "float32", "float16"}, default "float64"
        The format the errors are counted in: it sets the first rung and the last.
    target : float, optional
        The first rung instead of ``TARGET[dtype]``: ``promised(name, dtype)`` states the
        claim against what lossnotes promises for that function.

    Returns
    -------
    str or ndarray of str
        One claim per error (a str for a scalar).

    Examples
    --------
    >>> import lossnotes.accuracy as acc
    >>> acc.bound(0.0), acc.bound(1.3), acc.bound(3.1), acc.bound(3.1, "float32")
    ('0', '<= 2', '<= 10', '<= 4')
    >>> acc.bound([26.5, 1.5e7, 8.6e15], "float32").tolist()
    ['<= 100', '>= 2^23', '>= 2^23']
    >>> acc.bound(float("inf"))
    'inf'
    >>> acc.bound(2.9), acc.bound(2.9, target=acc.promised("log_cosh"))
    ('<= 10', '<= 4')

    The claim a measurement supports, whatever CPU runs it:

    >>> acc.bound(acc.measure("logistic").worst)
    '<= 2'
    """
    dt, p, _, _ = _format(dtype)
    e = np.asarray(ulps)
    if e.dtype.kind not in "biuf":
        raise ValueError(f"ulps must be errors in ulps (real numbers); found dtype {e.dtype}")
    e = e.astype(np.float64)
    if np.isnan(e).any() or (e < 0).any():
        raise ValueError("ulps must be errors in ulps (>= 0, inf allowed); found nan or a "
                         "negative value")
    lost = 2.0 ** (p - 1)
    if target is not None and (not isinstance(target, int | float) or not 0 < target < lost):
        raise ValueError(f"target must be a bound in ulps in (0, 2^{p - 1}); found {target!r}")
    if target is None:
        target = TARGET[dt.name]

    def one(x: float) -> str:
        if x == 0:
            return "0"
        if x == math.inf:
            return "inf"
        if x >= lost:
            return f">= 2^{p - 1}"
        if x <= target:
            return f"<= {target:g}"
        k = max(1, math.ceil(math.log10(x)))
        return f"<= {10**k}" if k <= 2 else f"<= 1e{k}"

    out = np.array([one(float(x)) for x in e.ravel()]).reshape(e.shape)
    return out.item() if out.ndim == 0 else out


def _record(name: str) -> tuple:
    """``(record, grad)`` of the function ``name`` in the registry; other names are refused."""
    if not isinstance(name, str) or name not in _RECORDS:
        raise ValueError(
            f"no reference for {name!r}; expected one of the lossnotes functions "
            f"{', '.join(FUNCTIONS)}"
        )
    return _RECORDS[name]


def reference(name: str, *inputs, **options):
    r"""The true value of a lossnotes function, to ``DIGITS`` significant digits.

    Parameters
    ----------
    name : str
        A lossnotes function, e.g. ``"binary_cross_entropy"`` or ``"logistic_grad"`` (see
        ``FUNCTIONS``).
    *inputs : array_like
        Its positional inputs, as for the lossnotes function; floats are read exactly.
    **options
        Its keyword options that change the mathematics: ``from_logits``, ``axis``,
        ``delta``, and for the cross-entropies ``label_smoothing``, ``pos_weight`` (a single
        number) and ``class_weight`` (a sequence, one per class), read in the inputs' dtype
        as lossnotes computes with them. The result is always unreduced
        (``reduction="none"``); ``sample_weight`` and ``ignore_index`` are not options here
        (they weigh finished values).

    Returns
    -------
    ndarray of object
        mpmath numbers, in the shape of the unreduced lossnotes result.

    Raises
    ------
    ValueError
        For an unknown function name or option, and for inputs the function has no true value
        at: NaN, a (target, prediction) pair of different shapes (nothing is broadcast), class
        labels that do not fit ``y_pred`` by the lossnotes function's rule (its shape without
        the class axis, integers in [0, C)), an ``axis`` out of range, a cross-entropy's
        probabilities or targets outside [0, 1], or a point where the formula is not a number
        (``inf - inf``).
    TypeError
        For the wrong number of inputs, or an option of the wrong type (``from_logits`` not a
        bool, ``axis`` not an integer).

    Notes
    -----
    Each formula is written so that mpmath never subtracts two rounded numbers of the same
    size (see ``lossnotes/_reference.py``), so the digits are all correct, including for
    values far below the float range such as :math:`\log(1 + e^{-10^4})`.

    Examples
    --------
    >>> import lossnotes.accuracy as acc
    >>> x = acc.reference("log_softmax", [[10.0, 0.0]])
    >>> print(acc.mp.nstr(x[0, 0], 30))  # -log(1 + e^-10)
    -0.0000453988992168646467694878293071
    >>> x = acc.reference("binary_cross_entropy", [1.0], [1e4], from_logits=True)
    >>> print(acc.mp.nstr(x[0], 8))  # log(1 + e^-10000), which no float can hold
    1.1354839e-4343
    """
    record, grad = _record(name)
    options = _check_options(name, options)
    inputs = _check_inputs(name, inputs, options)
    if "delta" in options:
        # lossnotes computes with delta in the inputs' dtype (NumPy casts the Python float).
        dt = _dtype_of(inputs)
        with np.errstate(over="ignore"):
            delta = dt.type(options["delta"])
        if not (np.isfinite(delta) and delta > 0):
            raise ValueError(
                f"delta must be a positive finite number in {dt}, the inputs' dtype; found "
                f"{options['delta']!r}, which is {delta!r} there"
            )
        options = {**options, "delta": delta}
    extra = {k for k in _FORMULA_OPTIONS if options.get(k) is not None}
    if extra:
        # lossnotes computes with the smoothing and the weights in y_pred's dtype (NumPy casts
        # the Python numbers), so the true value is that of the cast numbers.
        dt = _dtype_of(inputs)
        options = {**options, **{k: _cast_option(options[k], dt) for k in extra}}
        if "class_weight" in extra:
            classes = inputs[-1].shape[options.get("axis", -1)]
            if len(options["class_weight"]) != classes:
                raise ValueError(
                    f"class_weight has {len(options['class_weight'])} weights; expected one "
                    f"per class, {classes} for y_pred of shape {inputs[-1].shape}")
    out = (record.grad_reference if grad else record.reference)(*inputs, **options)
    undefined = [i for i, v in enumerate(out.flat) if mp.isnan(v)]
    if undefined:
        index = tuple(int(i) for i in np.unravel_index(undefined[0], out.shape))
        raise ValueError(
            f"{name} has no value at index {index} ({len(undefined)} such element"
            f"{'s' if len(undefined) != 1 else ''}): the formula gives inf - inf or 0 * inf "
            "there, not a number; expected inputs where the function is defined"
        )
    return out


def _cast_option(value, dt: np.dtype):
    """A number, or a tuple of numbers, as ``dt`` rounds it (read back exactly as floats)."""
    if isinstance(value, tuple):
        return tuple(float(dt.type(v)) for v in value)
    return float(dt.type(value))


def _is_bool(x) -> bool:
    return isinstance(x, bool | np.bool_)


#: The options besides a record's ``options`` (its ``extra_options``) that change the value of
#: each element, so that the references take them and the survey measures them: the
#: smoothing of the targets and the weights of a term (``pos_weight``, ``class_weight``). A
#: ``sample_weight`` is not one: it multiplies each finished value (one more rounding, at most
#: half an ulp, on top of the loss's error) and changes no formula; an ``ignore_index`` is a
#: sample weight of 0. Both are left to the tests of the functions.
_FORMULA_OPTIONS = ("label_smoothing", "pos_weight", "class_weight")


def _allowed_options(record) -> set:
    extra = getattr(record, "extra_options", {})
    return set(record.options) | {k for k in _FORMULA_OPTIONS if k in extra}


def _check_options(name: str, options: dict) -> dict:
    """``name``'s options, checked: names it has, and values of the type it takes."""
    allowed = _allowed_options(_record(name)[0])
    unknown = set(options) - set(allowed)
    if unknown:
        raise ValueError(
            f"{name} has no option {', '.join(sorted(unknown))}; "
            f"its options are {', '.join(sorted(allowed)) or 'none'}"
        )
    out = dict(options)
    for flag in ("from_logits", "log_input", "full"):  # "False" or an array would be true
        if flag in out:
            out[flag] = check_flag(out[flag], flag)
    if "axis" in out:
        out["axis"] = check_axis_type(out["axis"])
    if "delta" in out:
        v = out["delta"]
        if _is_bool(v) or not isinstance(v, numbers.Real) or not (math.isfinite(v) and v > 0):
            raise ValueError(f"delta must be a positive finite number; found {v!r}")
    if "label_smoothing" in out:
        v = out["label_smoothing"]
        if _is_bool(v) or not isinstance(v, numbers.Real) or not 0 <= v <= 1:
            raise ValueError(f"label_smoothing must be a number in [0, 1]; found {v!r}")
    if out.get("pos_weight") is not None:
        v = out["pos_weight"]
        if _is_bool(v) or not isinstance(v, numbers.Real) or not (math.isfinite(v) and v >= 0):
            raise ValueError(f"pos_weight must be a single finite non-negative number here; "
                             f"found {v!r}")
    if out.get("class_weight") is not None:
        c = np.asarray(out["class_weight"])
        if (c.ndim != 1 or c.dtype.kind not in "iuf" or not np.all(np.isfinite(c))
                or not np.all(c >= 0)):
            raise ValueError(f"class_weight must be a sequence of finite non-negative numbers, "
                             f"one per class; found {out['class_weight']!r}")
        out["class_weight"] = tuple(float(v) for v in c)  # hashable: references are cached
    return out


def _check_inputs(name: str, inputs: tuple, options: dict) -> tuple:
    """The inputs of ``name`` as arrays; refused where the function has no true value."""
    record, _ = _record(name)
    link = isinstance(record, Link)
    names = _input_names(name)
    if len(inputs) != len(names):
        raise TypeError(
            f"{name} takes {len(names)} input(s) ({', '.join(names)}); found {len(inputs)}"
        )
    arrays = {arg: np.asarray(x) if arg == "labels" else as_float_array(x, arg)
              for arg, x in zip(names, inputs, strict=True)}
    if "y_true" in arrays:  # a (target, prediction) pair: equal shapes, nothing is broadcast
        check_same_shape(arrays["y_true"], arrays["y_pred"], "y_true", "y_pred")
    if not link and record.wrt:  # a loss of several inputs: the shapes its function takes
        first = arrays[record.wrt[0]]
        for arg in names[1:]:
            if arg in record.wrt or arrays[arg].ndim == first.ndim:
                check_same_shape(arrays[arg], first, arg, record.wrt[0])
        if "y" in arrays:
            check_plus_minus_one(arrays["y"], "y")
    if "axis" in record.options:  # rows of scores (or of classes) along axis
        scores = "z" if link else "y_pred"
        x = arrays[scores]
        axis = check_axis(options.get("axis", -1), x.ndim, scores)
        if x.shape[axis] == 0 and not link:  # (the links have limits there)
            raise ValueError(f"{scores} has no classes on axis {axis} (shape {x.shape}); "
                             "expected at least one class")
        if "labels" in arrays:
            check_class_labels(arrays["labels"], x, axis)
    if not link and record.family == "cross-entropy":
        if "y_true" in arrays:
            check_unit_interval(arrays["y_true"], "y_true", "labels or class probabilities")
        if not options.get("from_logits", False):
            check_unit_interval(arrays["y_pred"], "y_pred",
                                hint="; pass from_logits=True for raw scores")
    return tuple(arrays[arg] for arg in names)


def _dtype_of(inputs) -> np.dtype:
    for x in reversed(inputs):
        x = np.asarray(x)
        if np.issubdtype(x.dtype, np.floating):
            return x.dtype
    return np.dtype(np.float64)


# ---------------------------------------------------------------------------------------------
# the grid
# ---------------------------------------------------------------------------------------------


def grid(name: str, dtype="float64", *, limits: bool = True, **options):
    """The inputs on which :func:`measure` evaluates a function by default.

    Parameters
    ----------
    name : str
        A lossnotes function (see ``FUNCTIONS``).
    dtype : {"float64", "float32", "float16"}, default "float64"
        The floating inputs are cast to it (class indices stay integers).
    limits : bool, default True
        Whether to add the infinite logits and the probabilities 0 and 1, where the loss takes
        its limiting value (0 or ``+inf``).
    **options
        The function's options (``from_logits``, ``delta``); they choose the grid.

    Returns
    -------
    tuple of ndarray
        The inputs in the function's argument order, ready for ``func(*inputs)``: the ``grid``
        of the function's record in ``lossnotes._registry``, described in the module docstring.

    Examples
    --------
    >>> import lossnotes.accuracy as acc
    >>> (z,) = acc.grid("sigmoid")
    >>> z.shape, z.min(), z.max(), float(z[z > 0].min())
    ((389,), np.float64(-inf), np.float64(inf), 1e-08)
    >>> y, p = acc.grid("binary_cross_entropy", "float32", limits=False)
    >>> y.dtype, y.shape, sorted(set(y.tolist()))
    (dtype('float32'), (1508,), [0.0, 0.25, 0.699999988079071, 1.0])
    """
    options = _check_options(name, options)
    limits = check_flag(limits, "limits")
    dt, *_ = _format(dtype)
    record, grad = _RECORDS[name]
    return tuple(x if x.dtype.kind in "iu" else x.astype(dt)
                 for x in record.grid(grad, limits, **options))


# ---------------------------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------------------------

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 256


def _cached_reference(name: str, inputs: tuple, options: dict):
    key = (name, tuple(sorted(options.items())),
           tuple((x.dtype.str, x.shape, x.tobytes()) for x in inputs))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = reference(name, *inputs, **options)
    _CACHE[key] = value
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def _lossnotes_function(name: str, options: dict):
    record, grad = _RECORDS[name]
    func = record.grad if grad else record.function
    if record.reduces and not grad:  # unreduced values
        options = {**options, "reduction": "none"}
    return lambda *inputs: func(*inputs, **options)


def _label(name: str, options: dict) -> str:
    if not options:
        return name
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in options.items())})"


def _show(x) -> str:
    x = np.asarray(x)
    if x.ndim == 0:
        return f"{x.item():.6g}"
    return "[" + ", ".join(f"{v:.6g}" for v in x.tolist()) + "]"


@dataclass(frozen=True, eq=False)
class Measurement:
    """The errors of one implementation of one function, point by point.

    Attributes
    ----------
    name : str
        The lossnotes function whose reference was used; ``label`` adds the options.
    options : dict
        Its options (``from_logits``, ``delta``, ...).
    dtype : numpy.dtype
        The format of the inputs and of the ulps.
    inputs : tuple of ndarray
        The inputs, in the function's argument order.
    computed : ndarray
        What the implementation returned.
    exact : ndarray of object
        The true values (mpmath numbers).
    ulps : ndarray of float64
        :func:`ulp_error` of ``computed`` against ``exact``, in ``dtype``'s ulps.
    """

    name: str
    options: dict
    dtype: np.dtype
    inputs: tuple
    computed: np.ndarray
    exact: np.ndarray = field(repr=False)
    ulps: np.ndarray = field(repr=False)

    @property
    def label(self) -> str:
        """The function and its options, e.g. ``binary_cross_entropy(from_logits=True)``."""
        return _label(self.name, self.options)

    @property
    def worst(self) -> float:
        """The largest error in ulps over all the points (``inf`` for any ``nan``)."""
        return float(np.max(self.ulps)) if self.ulps.size else 0.0

    @property
    def argworst(self) -> tuple:
        """The index of the (first) point with the largest error."""
        return np.unravel_index(int(np.argmax(self.ulps)), self.ulps.shape)

    def where(self, index=None) -> str:
        """The inputs at ``index`` (default: the worst point), as text."""
        index = self.argworst if index is None else tuple(np.atleast_1d(index))
        names = _input_names(self.name)
        record, grad = _RECORDS[self.name]
        row = "axis" in record.options  # one row of scores along the axis
        # The derivatives of a loss of several inputs come stacked, one per input of ``wrt``.
        wrt = record.wrt if grad and not isinstance(record, Link) else ()
        if wrt:
            which, index = wrt[int(index[0])], index[1:]
        parts = []
        if getattr(record, "family", "") == "sequence":  # CTC: sequence i (frame t, class k)
            labels, logits = self.inputs[:2]
            parts = [f"sequence {index[0]}", f"labels={_show(labels[index[0]])}"]
            if len(index) == 3:
                parts += [f"frame {index[1]}", f"class {index[2]}",
                          f"logits={_show(logits[index[0], index[1]])}"]
            return ", ".join(parts)
        for arg, x in zip(names, self.inputs, strict=False):
            if row and x.ndim == 2:
                parts.append(f"{arg}={_show(x[index[0]])}")
            else:
                parts.append(f"{arg}={_show(x[index[: x.ndim]])}")
        if row and self.ulps.ndim == 2:
            parts.append(f"entry {index[1]}")
        if wrt:
            parts.append(f"the derivative in {which}")
        return ", ".join(parts)

    def __repr__(self) -> str:
        return (
            f"<Measurement {self.label}, {self.dtype}: worst {self.worst:.3g} ulp at "
            f"{self.where()} ({self.ulps.size} values)>"
        )


def _input_names(name: str) -> list[str]:
    return [arg for arg, _ in _record(name)[0].inputs]


def measure(name: str, func=None, *, dtype="float64", inputs=None, limits: bool = True,
            **options) -> Measurement:
    r"""Measure an implementation of a loss in ulps against the high-precision reference.

    Parameters
    ----------
    name : str
        The lossnotes function that ``func`` implements (its reference is the truth).
    func : callable, optional
        Called as ``func(*inputs)`` with the inputs in the lossnotes argument order, cast to
        ``dtype``; it must return the unreduced values in the shape of the lossnotes result
        (anything ``numpy.asarray`` accepts: a torch tensor, a TensorFlow tensor). Default:
        the lossnotes function itself, with ``options`` and ``reduction="none"``.
    dtype : {"float64", "float32", "float16"}, default "float64"
        The inputs are cast to it and the errors are counted in its ulps.
    inputs : tuple of array_like, optional
        The points, one array per input; default :func:`grid` ``(name, dtype,
        limits=limits, **options)``. Floats are cast to ``dtype`` (a value beyond its range
        becomes ``inf``, as the cast rounds it); inputs that :func:`reference` refuses
        (different shapes, NaN, ...) are refused here with its message, before ``func`` runs.
    limits : bool, default True
        Passed to :func:`grid` when ``inputs`` is not given.
    **options
        The function's options (``from_logits``, ``axis``, ``delta``): they select the
        reference and are passed to the default ``func``.

    Returns
    -------
    Measurement
        ``.ulps`` per point, ``.worst`` and ``.where()`` for the worst one.

    Notes
    -----
    References are cached (by function, options and input bytes), so measuring several
    implementations on the same points computes the mpmath values once.

    Examples
    --------
    lossnotes against the naive :math:`\log(1 + e^{-m})`, over the default grid of margins:

    >>> import numpy as np
    >>> import lossnotes.accuracy as acc
    >>> acc.measure("logistic").worst < 2
    True
    >>> naive = acc.measure("logistic", lambda m: np.log(1 + np.exp(-m)), limits=False)
    >>> naive.worst, naive.where()  # e^10000 overflows: log(inf) = inf instead of 10000
    (inf, 'm=-10000')
    >>> m = naive.inputs[0]
    >>> large = (m > 40) & (m < 700)  # 1 + e^-m rounds to 1: log(1) = 0 instead of e^-m
    >>> bool(naive.computed[large].max() == 0), float(naive.ulps[large].min()) > 1e15
    (True, True)

    Any callable that returns per-element values will do; here float32:

    >>> m = acc.measure("sigmoid", lambda z: 1 / (1 + np.exp(-z)), dtype="float32",
    ...                 inputs=([-20.0, 0.0, 20.0],))
    >>> m.computed.dtype, acc.bound(m.ulps, "float32").tolist()  # float32 exp: noise digits
    (dtype('float32'), ['<= 4', '0', '<= 4'])
    """
    dt, *_ = _format(dtype)
    options = _check_options(name, options)
    limits = check_flag(limits, "limits")
    if inputs is None:
        inputs = grid(name, dt, limits=limits, **options)
    else:
        inputs = _cast_inputs(name, inputs, dt)
    if func is None:
        func = _lossnotes_function(name, options)
    exact = _cached_reference(name, inputs, options)
    if exact.size == 0:
        raise ValueError(
            f"inputs hold no point: {name} of them has shape {exact.shape}; expected at least "
            "one value to measure"
        )
    with np.errstate(all="ignore"):
        computed = np.asarray(func(*inputs))
    return Measurement(name, dict(options), dt, inputs, computed, exact,
                       ulp_error(computed, exact, dt))


def _cast_inputs(name: str, inputs, dt: np.dtype) -> tuple:
    """Explicit inputs cast to ``dt`` (class indices stay integers); nothing else is changed."""
    names = _input_names(name)
    if not isinstance(inputs, tuple | list):
        raise TypeError(
            f"inputs must be a tuple of arrays, one per input of {name} ({', '.join(names)}); "
            f"found {type(inputs).__name__}"
        )
    out = []
    for arg, x in zip(names, inputs, strict=False):
        x = np.asarray(x)
        if np.issubdtype(x.dtype, np.integer):
            out.append(x)
            continue
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.bool_)):
            raise ValueError(f"{arg} must hold real numbers; found dtype {x.dtype}")
        with np.errstate(over="ignore"):  # beyond the dtype's range: the cast gives +-inf
            out.append(x.astype(dt))
    # a count that does not match is refused by reference(), which names the inputs
    out.extend(np.asarray(x) for x in inputs[len(names):])
    return tuple(out)


class Survey:
    """The worst error of every lossnotes function, per dtype: the result of :func:`survey`.

    ``survey[label][dtype_name]`` is a :class:`Measurement` (``label`` as in
    :attr:`Measurement.label`, ``dtype_name`` such as ``"float32"``); ``repr`` prints a table
    of each worst error as the claim :func:`bound` makes of it, which holds on every CPU (the
    measured numbers themselves are in the measurements).
    """

    def __init__(self, measurements: dict):
        self.measurements = measurements

    def __getitem__(self, label: str) -> dict:
        return self.measurements[label]

    def __iter__(self):
        return iter(self.measurements)

    def __len__(self) -> int:
        return len(self.measurements)

    def _dtypes(self) -> list[str]:
        return list(next(iter(self.measurements.values()), {}))

    def worst(self, dtype) -> float:
        """The largest error of any function in ``dtype``."""
        name = _format(dtype)[0].name
        measured = self._dtypes()
        if name not in measured:
            raise ValueError(
                f"dtype {name} was not surveyed; expected one of {', '.join(measured) or 'none'}"
            )
        return max(by_dtype[name].worst for by_dtype in self.measurements.values())

    def within_promise(self, dtype) -> bool:
        """Whether every function is within the accuracy promised for it (:func:`promised`)."""
        name = _format(dtype)[0].name
        self.worst(name)  # refuses a dtype that was not surveyed
        return all(m.worst <= promised(m.name, name, m.options)
                   for m in (by_dtype[name] for by_dtype in self.measurements.values()))

    def __repr__(self) -> str:
        if not self.measurements:
            return "<Survey of no function>"
        dtypes = self._dtypes()
        width = max(len(label) for label in self.measurements)
        head = f"{'function':{width}s}" + "".join(f" {dt + ' (ulp)':>14s}" for dt in dtypes)
        lines = [head, "-" * len(head)]
        for label, by_dtype in self.measurements.items():
            cells = "".join(f" {bound(by_dtype[dt].worst, dt):>14s}" for dt in dtypes)
            lines.append(f"{label:{width}s}{cells}")
        return "\n".join(lines)


def _sequence(x, arg: str, example: str) -> list:
    """``x`` as a list, refusing a bare str (which iterates over its characters)."""
    if isinstance(x, str | bytes) or not isinstance(x, Iterable):
        raise TypeError(
            f"{arg} must be a sequence, e.g. {arg}=[{example!r}]; found {x!r} "
            f"({type(x).__name__})"
        )
    return list(x)


def survey(dtypes=("float64", "float32"), names=None, *, limits: bool = True) -> Survey:
    """Measure every lossnotes function on its grid, in each dtype.

    Parameters
    ----------
    dtypes : sequence of {"float64", "float32", "float16"}, default ("float64", "float32")
        At least one; a single dtype is written as a sequence too, ``("float32",)``.
    names : sequence of str, optional
        Only these functions, each one of ``FUNCTIONS`` (default: all of ``CASES``). A bare
        str is refused rather than read as a sequence of characters or as one name: write
        ``names=["squared_hinge"]``.
    limits : bool, default True
        Include the infinite logits and the probabilities 0 and 1.

    Returns
    -------
    Survey
        ``survey[label][dtype]`` is the :class:`Measurement`; printing it gives a table of
        worst-case errors.

    Raises
    ------
    TypeError
        If ``dtypes`` or ``names`` is a str (or not a sequence), or ``limits`` not a bool.
    ValueError
        For a dtype other than float16, float32 and float64, a name that has no reference
        (the message lists ``FUNCTIONS``), or an empty ``dtypes`` or ``names``: a survey of
        nothing is refused.

    Examples
    --------
    >>> import lossnotes.accuracy as acc
    >>> s = acc.survey(names=["hinge", "perceptron", "sigmoid"])
    >>> s["hinge"]["float64"]
    <Measurement hinge, float64: worst 0.5 ulp at m=-31.6228 (389 values)>
    >>> s.worst("float64") <= 2
    True

    Printed, it is a table of the worst cases as the claims of :func:`bound` (the measured
    numbers, such as the sigmoid's, change in their last digits with the CPU's ``exp``):

    >>> s
    function    float64 (ulp)  float32 (ulp)
    ----------------------------------------
    hinge                <= 2           <= 4
    perceptron              0              0
    sigmoid              <= 2           <= 4
    """
    dts = list(dict.fromkeys(_format(d)[0] for d in _sequence(dtypes, "dtypes", "float32")))
    if not dts:
        raise ValueError("dtypes is empty; expected at least one of float16, float32, float64")
    limits = check_flag(limits, "limits")
    selected = None
    if names is not None:
        names = _sequence(names, "names", "squared_hinge")
        unknown = [n for n in names if not isinstance(n, str) or n not in _RECORDS]
        if unknown:
            raise ValueError(
                f"names: no reference for {', '.join(map(repr, unknown))}; expected names "
                f"among the lossnotes functions {', '.join(FUNCTIONS)}"
            )
        selected = set(names)
        if not selected:
            raise ValueError(
                "names is empty, which selects no function; expected at least one of "
                f"{', '.join(FUNCTIONS)} (or names=None for all)"
            )
    out = {}
    for name, options in CASES:
        if selected is not None and name not in selected:
            continue
        out[_label(name, options)] = {
            dt.name: measure(name, dtype=dt, limits=limits, **options) for dt in dts
        }
    return Survey(out)
