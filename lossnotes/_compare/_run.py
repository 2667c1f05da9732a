"""One runner for every covered loss: lossnotes, Keras and torch on the same inputs.

Everything specific to a loss comes from its record in :mod:`lossnotes._registry` (how each
framework is called, the targets it takes, the tolerance's scale) and from the notes table in
:mod:`._notes`; this module only runs the calls and reaches the verdicts.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from .. import _registry, like_keras, like_torch
from .._cross_entropy import _check_smoothing, _class_weights, _ignored, _positive_targets
from .._validation import (
    as_float_array,
    as_weights,
    check_axis,
    check_axis_type,
    check_flag,
    check_label_shape,
    check_same_shape,
    sample_weights,
)
from . import _frameworks
from ._notes import Call, notes, torch_dim
from ._results import (
    FRAMEWORKS,
    RTOL,
    Comparison,
    Note,
    Row,
    Values,
    max_difference,
    tolerance_for,
    values_within,
)

#: The module whose arithmetic is lossnotes "under a framework's convention".
LIKE = {"keras": like_keras, "torch": like_torch}


def _record(name) -> _registry.Frameworks:
    if isinstance(name, str) and name in _registry.WITHOUT_RECORD:
        raise ValueError(f"compare does not cover {name!r}: it is "
                         f"{_registry.WITHOUT_RECORD[name]}")
    if not isinstance(name, str) or name not in _registry.COVERED:
        near = [n for n in _registry.COVERED if isinstance(name, str) and name.lower() in n]
        hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
        raise ValueError(
            f"unknown loss {name!r}{hint}; compare covers: {', '.join(_registry.COVERED)}"
        )
    return _registry.LOSSES[name].frameworks


def _options(name: str, given: dict) -> dict:
    """The loss's options with their defaults, checked before any input is read or any loss
    called: a str "False" or an array would be read as true, and NumPy would take axis=True
    as 1 and crash on 1.5 or None."""
    defaults = _registry.LOSSES[name].options
    extra = _registry.LOSSES[name].extra_options
    unknown = sorted(set(given) - set(defaults) - set(extra))
    if unknown:
        raise TypeError(
            f"compare({name!r}) got unexpected option(s) {', '.join(unknown)}; "
            f"expected: {', '.join([*defaults, *extra]) or 'none'}"
        )
    opts = {**defaults, **given}
    _option_values_checked(opts)
    for flag in ("from_logits", "log_input", "full"):
        if flag in opts:
            opts[flag] = check_flag(opts[flag], flag)
    if "axis" in opts:
        opts["axis"] = check_axis_type(opts["axis"])
    if "delta" in opts:
        d = opts["delta"]
        if isinstance(d, bool) or not isinstance(d, int | float | np.floating | np.integer) \
                or not np.isfinite(d) or d <= 0:
            raise ValueError(f"delta must be a positive finite number; found {d!r}")
        opts["delta"] = float(d)
    if "remove_diagonal" in opts:  # circle's options, checked as the loss checks them
        from .._circle import _check_options
        opts["gamma"], opts["margin"], opts["remove_diagonal"] = _check_options(
            opts["gamma"], opts["margin"], opts["remove_diagonal"])
    elif "gamma" in opts:  # the focal losses' options, checked as the losses check them
        from .._focal import check_fraction, check_gamma
        opts["gamma"] = check_gamma(opts["gamma"])
        for name in ("alpha", "label_smoothing"):
            opts[name] = check_fraction(opts[name], name)
        if "apply_class_balancing" in opts:
            opts["apply_class_balancing"] = check_flag(opts["apply_class_balancing"],
                                                       "apply_class_balancing")
    if "q" in opts:  # generalized cross-entropy
        from .._focal import check_q
        opts["q"] = check_q(opts["q"])
    if "beta" in opts:  # tversky's weights
        from .._overlap import _check_weight
        opts["alpha"], opts["beta"] = (_check_weight(opts[k], k) for k in ("alpha", "beta"))
    return opts


def _option_values_checked(opts: dict) -> None:
    """The weights and the smoothing of ``opts`` (the record's ``extra_options``), checked by
    the package's own checks, in place: finite non-negative weights, a smoothing in [0, 1].
    Their shapes, and ``ignore_index``, are checked against the inputs by
    :func:`_option_shapes_checked`."""
    for key in ("sample_weight", "class_weight", "pos_weight"):
        if opts.get(key) is not None:
            w = as_weights(opts[key], key, np.float64)
            opts[key] = float(w) if w.ndim == 0 else w
    if "label_smoothing" in opts:
        opts["label_smoothing"] = _check_smoothing(opts["label_smoothing"])


def _option_shapes_checked(spec, y, p, axis, opts) -> None:
    """The options' shapes against the inputs (and ``ignore_index``'s type), by the package's
    checks, before anything is computed: a weight per value of the unreduced loss (or per
    sample), one per class, a ``pos_weight`` single or per output."""
    if opts.get("sample_weight") is not None:
        sample_weights(opts["sample_weight"], _out_shape(p, axis, grad=False), p.dtype)
    if opts.get("class_weight") is not None:
        _class_weights(opts["class_weight"], p, axis)
    if opts.get("pos_weight") is not None:
        _positive_targets(y, opts["pos_weight"], p)
    if opts.get("ignore_index") is not None:
        _ignored(y, opts["ignore_index"], None)


def _inputs(spec: _registry.Frameworks, y_true, y_pred, opts):
    """``(y_true, y_pred, axis)`` checked; ``axis`` the non-negative class axis of a row-wise
    loss, else None."""
    y_pred = as_float_array(y_pred, "y_pred")
    if spec.targets == "sequences":  # labels (N, S) and logits (N, T, C): one loss per row
        if y_pred.ndim != 3:
            raise ValueError(f"y_pred (the logits) has shape {y_pred.shape}; expected (N, T, C):"
                             " N sequences of T frames, the logits of C classes per frame")
        return np.asarray(y_true), y_pred, None
    if spec.targets == "classes":  # the labels of rows along axis (circle: of embeddings)
        axis = check_axis(opts.get("axis", -1), y_pred.ndim)
        labels = np.asarray(y_true)
        check_label_shape(labels, y_pred, axis, "y_true (the labels)")
        return labels, y_pred, axis
    y_true = as_float_array(y_true, "y_true", dtype=y_pred.dtype)
    check_same_shape(y_true, y_pred, "y_true", "y_pred")
    if y_pred.ndim == 0:
        raise ValueError(
            "y_pred is a scalar; compare needs at least one axis (Keras averages over the "
            "last one): pass [value]"
        )
    return y_true, y_pred, check_axis(opts["axis"], y_pred.ndim) if spec.rowwise else None


def _out_shape(p, axis, grad: bool) -> tuple:
    if grad or axis is None:
        return p.shape
    return p.shape[:axis] + p.shape[axis + 1:]


def _summarise(spec, e, grad: bool, n: int) -> Values:
    e = np.asarray(e)
    if grad:
        return Values(e, None, e / e.dtype.type(n))
    per_sample = e if spec.rowwise else e.mean(axis=-1)
    return Values(e, np.asarray(per_sample), np.asarray(e.dtype.type(e.mean())))


def _keras_values(spec, y, p, opts, axis, grad: bool) -> Values:
    """Keras's per-sample values (and per-element ones through a trailing axis of length 1),
    or the gradients of their sum and mean."""
    keras, tf = _frameworks.keras(), _frameworks.tensorflow()
    ops = keras.ops
    if spec.targets == "sequences":  # one value per sequence, in the record's layout
        def per_sample(x):
            return spec.keras(keras, y, x, opts)

        per_element = per_sample
    elif spec.rowwise:
        perm = [i for i in range(p.ndim) if i != axis] + [axis]
        yk = np.moveaxis(y, axis, -1) if spec.targets != "classes" else y.astype(np.int64)

        def per_sample(x):
            return spec.keras(keras, yk, tf.transpose(x, perm) if grad else np.transpose(x, perm),
                              opts)

        def per_element(x):
            return per_sample(x)
    else:
        def per_sample(x):
            return spec.keras(keras, y, x, opts)

        def per_element(x):
            return spec.keras(keras, y[..., None], x[..., None], opts)
    if not grad:
        s = np.asarray(per_sample(p))
        return Values(np.asarray(per_element(p)) if not spec.rowwise else s, s,
                      np.asarray(ops.mean(s)))
    pt = tf.constant(p)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(pt)
        total = tf.reduce_sum(per_element(pt))
        mean = ops.mean(per_sample(pt))
    g, gm = tape.gradient(total, pt), tape.gradient(mean, pt)
    del tape
    return Values(np.asarray(g), None, np.asarray(gm))


def _option_values(spec, mod, y, p, opts, axis, grad: bool) -> Values:
    """With options: ``mod``'s weighted unreduced values (or their derivative), per sample as
    Keras views them, and ``mod``'s own mean (or its derivative, the values over what the
    mean divides by)."""
    compute = spec.hand_grad if grad else spec.hand
    e = np.asarray(compute(mod, y, p, opts))
    if grad:
        return Values(e, None, e / e.dtype.type(spec.divisor(mod, y, p, opts)))
    per_sample = e if spec.rowwise else e.mean(axis=-1)
    return Values(e, np.asarray(per_sample), np.asarray(spec.mean(mod, y, p, opts)))


def _option_scale(spec, y, p, opts, axis, grad: bool, n: int) -> Values:
    """The tolerance's scale with options: each value's, and the sum of them over what
    lossnotes' mean divides by (the number of values if lossnotes refuses the mean)."""
    import lossnotes

    s = np.asarray(spec.scale(y, p, opts, grad), dtype=np.float64)
    try:
        d = spec.divisor(lossnotes, y, p, opts)
    except ValueError:
        d = n
    d = d if 0 < d < np.inf else n
    if grad:
        return Values(s, None, s / d)
    return Values(s, s if spec.rowwise else s.mean(axis=-1), np.asarray(s.sum() / d))


def _keras_option_values(spec, y, p, opts, axis, grad: bool) -> Values:
    """Keras's loss object with the options: ``reduction=None`` for the weighted values (each
    element a sample of the binary loss, each row one of the categorical ones) and
    ``"sum_over_batch_size"``, Keras's default, for the mean; or the gradients of their sum
    and of that mean."""
    keras, tf = _frameworks.keras(), _frameworks.tensorflow()
    yk, move = y, (lambda x: x)
    if spec.rowwise:
        perm = [i for i in range(p.ndim) if i != axis] + [axis]
        yk = np.moveaxis(y, axis, -1) if spec.targets != "classes" else y.astype(np.int64)

        def move(x):
            return tf.transpose(x, perm) if grad else np.transpose(x, perm)

    def run(x, reduction):
        return spec.keras_weighted(keras, yk, move(x), opts, reduction)

    if not grad:
        e = np.asarray(run(p, None))
        return Values(e, e if spec.rowwise else e.mean(axis=-1),
                      np.asarray(run(p, "sum_over_batch_size")))
    pt = tf.constant(p)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(pt)
        total = tf.reduce_sum(run(pt, None))
        mean = run(pt, "sum_over_batch_size")
    g, gm = tape.gradient(total, pt), tape.gradient(mean, pt)
    del tape
    return Values(np.asarray(g), None, np.asarray(gm))


def _torch_values(spec, fn, y, p, opts, axis, grad: bool) -> Values:
    if spec.targets == "inputs":
        return _torch_input_values(fn, y, opts, grad)
    torch, F = _frameworks.torch()
    if spec.targets == "sequences":  # the record's function lays the sequences out for torch
        yt = torch.from_numpy(np.asarray(y).astype(np.int64))

        def layout(t):
            return t
    elif spec.rowwise:
        dim = torch_dim(p)
        target = np.asarray(y).astype(np.int64) if spec.targets == "classes" \
            else np.moveaxis(y, axis, dim)
        yt = torch.from_numpy(np.ascontiguousarray(target))

        def layout(t):
            return t.movedim(axis, dim)
    else:
        yt = torch.from_numpy(np.ascontiguousarray(y))

        def layout(t):
            return t

    def run(reduction):
        pt = torch.tensor(p, requires_grad=grad)
        return pt, fn(torch, F, layout(pt), yt, opts, reduction)

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


class Inputs(tuple):
    """The inputs of a loss of more than two, in its order (what :func:`run_inputs` passes as
    ``y``); ``wrt`` holds the positions of those its gradient is taken with respect to."""

    wrt: tuple = ()


def _torch_input_values(fn, inputs: Inputs, opts, grad: bool) -> Values:
    """torch's values on a loss of several inputs, or its gradients with respect to the inputs
    at ``inputs.wrt``, stacked in that order (as ``<loss>_grad`` returns them)."""
    torch, F = _frameworks.torch()

    def run(reduction):
        given = [torch.tensor(x, requires_grad=grad and k in inputs.wrt)
                 for k, x in enumerate(inputs)]
        return given, fn(torch, F, *given, opts, reduction)

    def grads(given):
        return np.stack([given[k].grad.numpy() for k in inputs.wrt])

    if not grad:
        with torch.no_grad():
            _, e = run("none")
            _, r = run("mean")
        return Values(e.numpy(), e.numpy(), np.asarray(r.numpy()))
    given, e = run("none")
    e.sum().backward()
    mean_given, r = run("mean")
    r.backward()
    return Values(grads(given), None, grads(mean_given))


def _attempt(fn):
    try:
        return fn(), None
    except ValueError as exc:
        return None, str(exc)


def _first_line(message) -> str:
    lines = str(message).strip().splitlines()
    return lines[0] if lines else ""


def _frameworks_of(frameworks) -> tuple:
    given = frameworks
    if isinstance(frameworks, str):
        frameworks = (frameworks,)
    try:
        frameworks = tuple(frameworks)
    except TypeError:  # not a collection at all (None, a number)
        frameworks = None
    if frameworks is None or not frameworks or any(f not in FRAMEWORKS for f in frameworks):
        raise ValueError(
            f"frameworks must be a non-empty selection of {FRAMEWORKS}; found {given!r}"
        )
    return frameworks


def _framework_call(label, fw, run):
    """Run one framework call: its values or its error, and its warnings as notes."""
    # Imported before the capture below: a framework's import-time warnings are its own.
    _frameworks.keras() if fw == "keras" else _frameworks.torch()
    # A framework's warnings about this input (Keras's about a single class, say) are part of
    # the result: they become notes instead of escaping from compare.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            values, error = run(), None
        except _frameworks.FrameworkNotInstalledError:
            raise
        except Exception as exc:  # a framework refusing the input is a result, not a crash
            values, error = None, f"{type(exc).__name__}: {_first_line(exc)}"
    warned = [Note((fw,), f"{label} warned: {w.category.__name__}: {_first_line(w.message)}",
                   explains=False) for w in caught]
    return values, error, list(dict.fromkeys(warned))


def run(name, y_true, y_pred, frameworks, options, grad: bool) -> Comparison:
    """The comparison behind :func:`compare` and :func:`compare_grad`."""
    spec = _record(name)
    frameworks = _frameworks_of(frameworks)
    opts = _options(name, options)
    y, p, axis = _inputs(spec, y_true, y_pred, opts)
    _option_shapes_checked(spec, y, p, axis, opts)
    if p.dtype not in RTOL:
        raise ValueError(f"y_pred has dtype {p.dtype}; compare works in float32 or float64")
    if p.size == 0:
        # The lossnotes losses refuse the mean of nothing; compare reports that mean (and the
        # frameworks' would be nan with NumPy's "Mean of empty slice" warnings).
        raise ValueError(
            f"y_pred has shape {p.shape}, no elements; compare needs at least one (it reports "
            "the mean, and the mean of an empty loss is undefined)"
        )
    unavailable = None
    if "keras" in frameworks and spec.keras_unavailable is not None:
        unavailable = spec.keras_unavailable(p, opts)
        if unavailable is not None:  # this Keras cannot run the call: leave it out, say why
            frameworks = tuple(f for f in frameworks if f != "keras")
            if not frameworks:
                raise ValueError(f"compare({name!r}): {unavailable}")
    # nan and inf are results here (the edge cases are the point), not floating-point alarms.
    with np.errstate(all="ignore"):
        result = _run(name, spec, y, p, axis, frameworks, opts, grad)
    if unavailable is not None:
        result = dataclasses.replace(result, notes=(
            Note(("keras",), unavailable, explains=False), *result.notes))
    return result


def run_inputs(name, inputs, frameworks, options, grad: bool) -> Comparison:
    """:func:`run` for a loss of more than two inputs (``Loss.inputs`` names them): all of them
    in the loss's order. Keras ships none of these losses; torch is called with the same
    order, and its gradient is taken with respect to the inputs of ``Loss.wrt``."""
    spec = _record(name)
    loss = _registry.LOSSES[name]
    frameworks = _frameworks_of(frameworks)
    opts = _options(name, options)
    names = [arg for arg, _ in loss.inputs]
    if len(inputs) != len(names):
        raise TypeError(f"compare({name!r}) takes {len(names)} inputs ({', '.join(names)}); "
                        f"found {len(inputs)}")
    first = as_float_array(inputs[0], names[0])
    if first.dtype not in RTOL:
        raise ValueError(f"{names[0]} has dtype {first.dtype}; compare works in float32 or "
                         "float64")
    given = Inputs((first, *(as_float_array(x, arg, dtype=first.dtype)
                             for arg, x in zip(names[1:], inputs[1:], strict=True))))
    given.wrt = tuple(names.index(arg) for arg in loss.wrt)
    if first.size == 0:
        raise ValueError(f"{names[0]} has shape {first.shape}, no elements; compare needs at "
                         "least one (it reports the mean, and the mean of an empty loss is "
                         "undefined)")
    # One value per element of x1, or per row of an embedding (on its last axis).
    axis = first.ndim - 1 if first.ndim > given[-1].ndim or loss.vectors else None
    if opts.get("sample_weight") is not None:  # one weight per value of the unreduced loss
        sample_weights(opts["sample_weight"], _out_shape(first, axis, grad=False), first.dtype)
    with np.errstate(all="ignore"):
        result = _run(name, spec, given, first, axis, frameworks, opts, grad)
    return dataclasses.replace(result, wrt=loss.wrt)


def _run(name, spec, y, p, axis, frameworks, opts, grad: bool) -> Comparison:
    import lossnotes

    # one value per sequence, else per element or row
    n = p.shape[0] if spec.targets == "sequences" else int(np.prod(_out_shape(p, axis, False)))
    compute = spec.hand_grad if grad else spec.hand

    # The options of the mean and the targets (sample_weight, ...): each module's own mean,
    # and Keras's loss object.
    options = bool(set(opts) & set(_registry.LOSSES[name].extra_options))

    def values_of(mod):
        if options:
            return _option_values(spec, mod, y, p, opts, axis, grad)
        return _summarise(spec, compute(mod, y, p, opts), grad, n)

    exact_values, exact_error = _attempt(lambda: values_of(lossnotes))
    # A framework that does not ship the loss gets a row "absent" and a note saying why.
    present = tuple(f for f in frameworks if f not in spec.absent)
    conv = {f: _attempt(lambda f=f: values_of(LIKE[f])) for f in present}
    if exact_error is not None and all(err is not None for _, err in conv.values()):
        raise ValueError(exact_error)

    tol = tolerance_for(p.dtype, spec.scale_text(opts, grad))
    scale = _option_scale(spec, y, p, opts, axis, grad, n) if options else _summarise(
        spec, np.asarray(spec.scale(y, p, opts, grad), dtype=np.float64), grad, n)
    found = tuple(notes(name, Call(y, p, opts, grad, axis, name), present)) + tuple(
        Note((f,), spec.absent[f], explains=False) for f in frameworks if f in spec.absent)
    rows = [Row("lossnotes", "lossnotes", spec.lossnotes_call(opts), exact_values,
                error=exact_error, status="exact" if exact_error is None else "refused")]
    calls = []
    if "keras" in frameworks and "keras" in spec.absent:
        calls.append(("keras", "keras", "not in tf.keras", None))
    elif "keras" in frameworks and options:
        calls.append(("keras", "keras", spec.keras_weighted_call(opts),
                      lambda: _keras_option_values(spec, y, p, opts, axis, grad)))
    elif "keras" in frameworks:
        calls.append(("keras", "keras", spec.keras_call(opts),
                      lambda: _keras_values(spec, y, p, opts, axis, grad)))
    if "torch" in frameworks:
        if "torch" in spec.absent:
            calls.append(("torch", "torch", "not in torch.nn.functional", None))
        calls.extend((label, "torch", text(opts),
                      lambda fn=fn: _torch_values(spec, fn, y, p, opts, axis, grad))
                     for label, text, fn in spec.torch)
    warned = []
    for label, fw, call, compute_values in calls:
        if compute_values is None:
            rows.append(Row(label, fw, call, None, status="absent"))
            continue
        values, error, caught = _framework_call(label, fw, compute_values)
        warned += [w for w in caught if w not in warned]
        conv_values, conv_error = conv[fw]
        explaining = [nt for nt in found if fw in nt.frameworks and nt.explains]
        within = error is None and values_within(exact_values, values, scale, tol)
        conv_within = error is None and values_within(conv_values, values, scale, tol)
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
            convention_error=conv_error, max_abs_diff=max_difference(exact_values, values),
            convention_max_abs_diff=max_difference(conv_values, values), within_tolerance=within,
            convention_within_tolerance=conv_within, status=status,
        ))
    return Comparison(
        name=name, quantity="gradient" if grad else "loss", options=opts, dtype=p.dtype,
        shape=p.shape, rows=tuple(rows), tolerance=tol, notes=found + tuple(warned),
    )


def _dispatch(name, y_true, y_pred, more, frameworks, options, grad: bool) -> Comparison:
    """The two-input :func:`run`, or :func:`run_inputs` for a loss of more inputs."""
    loss = _registry.LOSSES.get(name) if isinstance(name, str) else None
    if loss is not None and len(loss.inputs) > 2:
        return run_inputs(name, (y_true, y_pred, *more), frameworks, options, grad)
    if more:
        raise TypeError(f"compare({name!r}) takes 2 inputs (y_true, y_pred); found "
                        f"{2 + len(more)}")
    return run(name, y_true, y_pred, frameworks, options, grad)


def compare(name, y_true, y_pred, *more, frameworks=FRAMEWORKS, **options) -> Comparison:
    r"""Run a loss in lossnotes, tf.keras and torch.nn.functional on the same inputs.

    Each framework is called with its own conventions: Keras as ``fn(y_true, y_pred)`` with
    classes on the last axis, torch as ``fn(input=y_pred, target=y_true)`` with classes on
    dimension 1. lossnotes is run three times: exactly, and under each framework's convention
    (:mod:`lossnotes.like_keras` / :mod:`lossnotes.like_torch`), which shows whether a
    difference is the one a documented convention predicts.

    Parameters
    ----------
    name : str
        One of ``"binary_cross_entropy"``, ``"categorical_cross_entropy"``,
        ``"sparse_categorical_cross_entropy"``, ``"mse"``, ``"mae"``, ``"huber"``,
        ``"hinge"``, ``"squared_hinge"``, ``"logistic"``, and the losses beyond the notes
        (every covered loss of the registry: ``python -m lossnotes`` lists them).
    y_true : array_like
        Targets in lossnotes' order: the same shape as ``y_pred``; class indices of
        ``y_pred``'s shape without the class axis for the sparse loss and
        ``multi_margin_loss``; one-hot rows for ``categorical_hinge``; labels in
        :math:`\{-1, +1\}` for the margin losses and ``hinge_embedding_loss`` (``hinge`` and
        ``squared_hinge`` also take 0/1 labels, to show how each framework reads them); for
        ``ctc``, the labels (N, S), one row of class indices per sequence, padded.
    y_pred : array_like
        Predictions (probabilities, logits, or scores), float32 or float64, at least 1-D;
        for ``ctc``, the logits (N, T, C), batch first. Every computation uses this dtype.
    *more : array_like
        For a loss of more than two inputs, the rest of them: such a loss takes all its inputs
        in its own order (its record's ``inputs``, torch's order), ``y_true`` and ``y_pred``
        being the first two: ``compare("margin_ranking_loss", x1, x2, y)``. Every computation
        uses the first input's dtype. Keras ships none of these losses; :func:`compare_grad`
        differentiates with respect to the float inputs the record's ``wrt`` names (``x1``
        and ``x2``), stacked along a new first axis in that order, as ``<loss>_grad``
        returns them.
    frameworks : tuple of {"keras", "torch"}, default both
        Which frameworks to run; each is imported the first time it is needed.
    **options
        The loss's options: ``from_logits`` (cross-entropies), ``axis`` (categorical and
        sparse, ``categorical_hinge``, ``multi_margin_loss``, the multilabel losses; the class
        axis of ``y_pred``), ``delta`` (``huber``), ``p``, ``margin`` and ``weight``
        (``multi_margin_loss``), ``weight`` (``multilabel_soft_margin_loss``), ``margin``
        (``hinge_embedding_loss``), ``gamma``, ``alpha``, ``label_smoothing`` and
        ``apply_class_balancing`` (the focal losses), ``alpha`` and ``beta`` (``tversky``), ``q``
        (``categorical_generalized_cross_entropy``), ``input_lengths``, ``label_lengths``
        and ``blank`` (``ctc``: ``compare("ctc", labels, logits, input_lengths=...,
        label_lengths=..., blank=...)``, each as :func:`lossnotes.ctc` takes it; torch gets
        the lengths given, else every frame and the labels before the first blank, and Keras,
        which takes neither lengths nor a blank, is left out of a call that passes them,
        with a note). Every loss whose lossnotes function takes ``sample_weight`` takes it
        here too, and the cross-entropies ``class_weight`` (categorical
        and sparse), ``pos_weight`` (binary), ``label_smoothing`` (all three) and
        ``ignore_index`` (sparse); each framework is then called with its own names for them
        (see Notes), and they are shown in ``.options`` only when given.

    Returns
    -------
    Comparison
        The values of every row (``.elementwise``, ``.per_sample`` -- Keras's mean over the last
        axis -- and ``.reduced``, the mean of everything), ``.max_abs_diff`` from lossnotes,
        ``.status`` per framework (``"agree"``, ``"explained"``, ``"differs"`` or ``"error"``;
        ``"absent"`` when the framework does not ship the loss, and a note says why),
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
        ValueError), ``ignore_index`` an integer. Weights that are negative, infinite or NaN,
        or of a shape that does not fit the inputs, and a ``label_smoothing`` outside [0, 1]
        raise ValueError. Options are checked, by the package's own checks, before anything
        is computed.
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

    With ``sample_weight`` or the options of the cross-entropies, ``.elementwise`` holds the
    weighted unreduced values :math:`w_i \ell_i` and ``.reduced`` each one's own mean:
    lossnotes' :math:`\sum_i w_i \ell_i / \sum_i w_i` (the weights of the targets with class
    weights, the ignored labels left out); Keras's loss object (beyond the cross-entropies, a
    ``keras.losses.Loss`` whose call is the Keras call shown, as Keras's own loss classes wrap
    their functions), called with ``sample_weight=`` (and ``Model.fit``'s class weights as the
    per-sample weights :math:`c_{y_i}`) on each element as a sample, or each row for a loss of
    rows, with its default reduction ``sum_over_batch_size``, which divides by the number of
    values (of labels kept with ``ignore_class``), and with ``reduction=None`` for the values;
    torch with ``weight=``, ``pos_weight=``, ``label_smoothing=`` and ``ignore_index=``, and,
    having no sample weights, ``(w * F.xxx(..., reduction="none")).sum() / w.sum()``. For the
    gradient, ``.reduced`` is the derivative of that mean. A note states each divisor that
    differs from lossnotes' and the ratio on the inputs at hand:

    >>> import lossnotes as ln
    >>> r = ln.compare("binary_cross_entropy", [1.0, 0.0, 1.0], [0.8, 0.3, 0.6],
    ...                sample_weight=[1.0, 2.0, 4.0])
    >>> r.status
    {'keras': 'explained', 'torch': 'agree'}
    >>> {k: round(float(v), 6) for k, v in r.reduced.items()}
    {'lossnotes': 0.425685, 'keras': 0.993265, 'torch': 0.425685}

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
    return _dispatch(name, y_true, y_pred, more, frameworks, options, grad=False)


def compare_grad(name, y_true, y_pred, *more, frameworks=FRAMEWORKS, **options) -> Comparison:
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
    return _dispatch(name, y_true, y_pred, more, frameworks, options, grad=True)
