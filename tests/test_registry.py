"""The registry drives everything: every loss has a record, and every record is complete.

These tests are parametrized over ``lossnotes._registry.LOSSES`` (scikit-learn's ``ALL_LOSSES``
pattern): a new loss without a record, a reference, a working gradient, a comparison (or a
stated reason why the frameworks have none) or a row on the API page fails here.
"""

import inspect
import pathlib

import numpy as np
import pytest

import lossnotes as ln
from lossnotes import _registry, like_keras, like_torch

LOSSES = list(_registry.LOSSES.values())
BOOK = pathlib.Path(__file__).parent.parent / "book"
# The API reference: an index (book/api.md, with the table of losses) and one page per group
# of functions (book/api_*.md), each small enough to load quickly on a phone.
API_PAGE = BOOK / "api.md"
API_GROUP_PAGES = sorted(BOOK.glob("api_*.md"))


def _public_losses():
    """Every public function with a ``_grad`` partner is a loss."""
    return sorted(n for n in ln.__all__ if f"{n}_grad" in ln.__all__ and n != "compare")


def test_every_public_loss_has_a_record():
    # or a reason in WITHOUT_RECORD why it has none (a loss of sequences, say)
    assert sorted(_registry.LOSSES) == [
        n for n in _public_losses() if n not in _registry.WITHOUT_RECORD]
    assert set(_registry.WITHOUT_RECORD) <= set(_public_losses())
    assert not set(_registry.WITHOUT_RECORD) & set(_registry.LOSSES)
    links = {"sigmoid", "log_sigmoid", "softmax", "log_softmax", "logsumexp"}
    assert set(_registry.LINKS) == links and links <= set(ln.__all__)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda r: r.name)
def test_record_is_the_public_function(loss):
    assert loss.function is getattr(ln, loss.name)
    assert loss.grad is getattr(ln, f"{loss.name}_grad")
    params = inspect.signature(loss.function).parameters
    assert [name for name, _ in loss.inputs] == list(params)[:len(loss.inputs)]
    for option, default in {**loss.options, **loss.extra_options}.items():
        assert params[option].default == default, option
        assert inspect.signature(loss.grad).parameters[option].default == default, option
    assert not set(loss.options) & set(loss.extra_options)
    assert {k for v in loss.variants for k in v} <= set(loss.options) | set(loss.extra_options)
    assert ("reduction" in params) == loss.reduces
    assert "reduction" not in inspect.signature(loss.grad).parameters


def _unreduced(loss, grad, *inputs, **variant):
    fn = loss.grad if grad else loss.function
    kw = {"reduction": "none"} if loss.reduces and not grad else {}
    return np.asarray(fn(*inputs, **variant, **kw), dtype=np.float64)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda r: r.name)
def test_record_has_a_reference_and_a_grid(loss):
    """On a sample of its grid the reference agrees with the function and its gradient (the
    ulp bounds on the whole grid are test_accuracy.py's)."""
    for variant in loss.variants:
        for grad in (False, True):
            inputs = loss.grid(grad=grad, limits=False, **variant)
            assert len(inputs) == len(loss.inputs)
            sample = tuple(x[::97] for x in inputs)
            ours = _unreduced(loss, grad, *sample, **variant)
            ref = (loss.grad_reference if grad else loss.reference)(*sample, **variant)
            with np.errstate(over="ignore"):  # e^1000 is inf in float64 (NumPy 1.x warns)
                ref = np.asarray(ref, dtype=np.float64)
            assert ours.shape == ref.shape and ours.size >= 4
            np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=1e-300,
                                       err_msg=f"{loss.name} grad={grad} {variant}")


@pytest.mark.parametrize("loss", LOSSES, ids=lambda r: r.name)
def test_record_has_a_comparison_or_says_why_not(loss):
    if loss.frameworks is None:
        assert loss.absent and not loss.cases
    else:
        assert loss.name in _registry.COVERED and not loss.absent
        assert any(c.kind == "edge" for c in loss.cases)


def _smooth_inputs(loss, variant):
    """The gradient grid, moved where finite differences are meaningful: scores and
    residuals within +-50, probabilities away from 0 and 1, probability rows renormalised."""
    *rest, p = loss.grid(grad=True, limits=False, **variant)
    probabilities = (loss.family in ("cross-entropy", "divergence", "overlap")
                     and not variant.get("from_logits"))
    if loss.family == "counts" and not variant.get("log_input"):  # rates stay positive
        return rest, np.clip(p, 1e-2, 50)
    if loss.family == "log-likelihood":  # log-probabilities stay negative
        return rest, np.clip(p, -50, -1e-2)
    if not probabilities:
        return rest, np.clip(p, -50, 50)
    if p.ndim == 1:
        return rest, np.clip(p, 1e-3, 1 - 1e-3)
    p = np.clip(p, 1e-3, None)
    return rest, p / p.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("loss", [r for r in LOSSES if not r.wrt], ids=lambda r: r.name)
def test_gradient_matches_finite_differences(loss):
    """Per element (per row for the categorical losses), the central difference of the
    unreduced loss along a random direction equals grad . direction, wherever the loss is
    smooth there (its one-sided differences agree): only kinks are skipped."""
    rng = np.random.default_rng(7)
    for variant in loss.variants:
        rest, p = _smooth_inputs(loss, variant)
        d = rng.standard_normal(p.shape)
        rows = p.ndim == 2
        if rows and loss.family in ("cross-entropy", "divergence") and not variant.get(
                "from_logits"):
            d -= d.mean(axis=-1, keepdims=True)  # keeps each row's sum at 1
        # A step relative to each input (for a probability, to its distance from either end
        # of [0, 1], where a smoothed target puts a log on both sides); one step per row for
        # the categorical losses, so that a direction along the simplex stays on it.
        scale = np.abs(p)
        if loss.family in ("cross-entropy", "divergence", "overlap") and not variant.get(
                "from_logits"):
            scale = np.minimum(scale, 1 - p)
        h = 1e-6 * np.maximum(scale, 1e-2)
        h = h.min(axis=-1, keepdims=True) if rows else h
        f0 = _unreduced(loss, False, *rest, p, **variant)
        right = (_unreduced(loss, False, *rest, p + h * d, **variant) - f0)
        left = (f0 - _unreduced(loss, False, *rest, p - h * d, **variant))
        g = _unreduced(loss, True, *rest, p, **variant) * h * d
        g = g.sum(axis=-1) if rows else g
        if loss.batch:
            # A batch loss (circle, embeddings (..., N, D)): every sample's loss moves with
            # every embedding, and the gradient is that of the batch's summed loss, so the
            # differences are compared batch by batch (a stack's batches are independent).
            batches = (*p.shape[:-2], -1)
            f0, right, left = (x.reshape(batches).sum(axis=-1) for x in (f0, right, left))
            g = (_unreduced(loss, True, *rest, p, **variant) * h * d).reshape(batches).sum(-1)
            h, d, rows = (h * d).reshape(batches), 1.0, True
        if loss.family == "sequence":
            # A loss of sequences (CTC, logits (N, T, C)): one value per sequence, which moves
            # with every logit of its frames; the differences are compared sequence by sequence.
            g = g.reshape(len(p), -1).sum(axis=-1)
            h, d, rows = (h * d).reshape(len(p), -1), 1.0, True
        # A kink inside the step makes the one-sided differences differ by O(h); a smooth
        # loss by O(h^2), within rounding.
        size = np.abs(right) + np.abs(left)
        noise = 1e-13 * (1 + np.abs(f0))
        smooth = np.abs(right - left) <= 1e-4 * size + noise
        assert smooth.mean() > 0.75, (loss.name, variant, smooth.mean())
        # The central difference of a C1 loss is off by at most (h d)^2 times its curvature
        # (Huber's second derivative jumps at delta), which is at most of order 1 here.
        step = (h * d) ** 2
        step = step.sum(axis=-1) if rows else step
        err = np.abs((right + left) / 2 - g)[smooth]
        assert np.all(err <= 1e-6 * size[smooth] + noise[smooth] + step[smooth]), (
            loss.name, variant, float(err.max()))


@pytest.mark.parametrize("loss", [r for r in LOSSES if r.wrt], ids=lambda r: r.name)
def test_gradients_of_several_inputs_match_finite_differences(loss):
    """A loss of several inputs: ``<loss>_grad`` returns one derivative per input of ``wrt``;
    each, per element (per vector for embeddings, vectors on the last axis), equals the central
    difference of the unreduced loss along a random direction of that input alone, wherever
    the loss is smooth there."""
    rng = np.random.default_rng(11)
    names = [name for name, _ in loss.inputs]
    for variant in loss.variants:
        inputs = [np.clip(x, -50, 50) for x in loss.grid(grad=True, limits=False, **variant)]
        grads = loss.grad(*inputs, **variant)
        assert isinstance(grads, tuple) and len(grads) == len(loss.wrt)
        for arg, g in zip(loss.wrt, grads, strict=True):
            k = names.index(arg)
            d = rng.standard_normal(inputs[k].shape)
            h = 1e-6 * np.maximum(np.abs(inputs[k]), 1e-2)

            def at(step, k=k, inputs=inputs, variant=variant):
                moved = list(inputs)
                moved[k] = inputs[k] + step
                return loss.function(*moved, reduction="none", **variant)

            f0 = at(0)
            right, left = at(h * d) - f0, f0 - at(-h * d)
            size = np.abs(right) + np.abs(left)
            noise = 1e-13 * (1 + np.abs(f0))
            smooth = np.abs(right - left) <= 1e-4 * size + noise
            assert smooth.mean() > 0.75, (loss.name, arg, variant, smooth.mean())
            slope = g * h * d
            slope = slope.sum(axis=-1) if slope.ndim > f0.ndim else slope
            err = np.abs((right + left) / 2 - slope)[smooth]
            assert np.all(err <= 1e-6 * size[smooth] + noise[smooth]), (loss.name, arg, variant)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda r: r.name)
def test_like_modules_mirror_the_exact_api(loss):
    """like_keras and like_torch take the exact functions' arguments, for every loss the
    framework has; where the framework computes the mathematics they are the exact ones."""
    for module in (like_keras, like_torch):
        for name in (loss.name, f"{loss.name}_grad"):
            if not hasattr(module, name):
                continue
            theirs = inspect.signature(getattr(module, name)).parameters
            ours = inspect.signature(getattr(ln, name)).parameters
            assert list(theirs) == [k for k in ours if k != "convention"], (module, name)


def test_api_page_holds_the_registry_table():
    page = API_PAGE.read_text()
    table = _registry.markdown_table()
    assert table in page, (
        "book/api.md's table of losses is out of date; regenerate it with\n  python -c "
        "\"from lossnotes._registry import markdown_table; print(markdown_table())\"")


def test_api_pages_document_every_loss_once():
    pages = {p.name: p.read_text() for p in API_GROUP_PAGES}
    assert pages, "no book/api_*.md pages"
    for loss in LOSSES:
        for name in (loss.name, f"{loss.name}_grad"):
            where = [p for p, text in pages.items() if f"autofunction:: {name}\n" in text]
            assert len(where) == 1, (name, where)
