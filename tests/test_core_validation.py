"""Bad input gets a ValueError that names the argument, what was found and what was expected."""

import numpy as np
import pytest

import lossnotes as ln

PAIRWISE = [
    ln.binary_cross_entropy, ln.binary_cross_entropy_grad, ln.mse, ln.mse_grad, ln.mae,
    ln.mae_grad, ln.huber, ln.huber_grad,
]


@pytest.mark.parametrize("fn", PAIRWISE, ids=lambda f: f.__name__)
def test_n1_against_n_is_refused_not_broadcast(fn):
    y_true = np.array([0.0, 1.0, 1.0])
    y_pred = np.array([[0.2], [0.7], [0.9]])
    with pytest.raises(ValueError, match=r"y_true has shape \(3,\) but y_pred has shape \(3, 1\)"):
        fn(y_true, y_pred)


@pytest.mark.parametrize("fn", PAIRWISE, ids=lambda f: f.__name__)
def test_nan_is_refused(fn):
    with pytest.raises(ValueError, match=r"y_pred contains NaN at index \(1,\)"):
        fn([0.0, 1.0], [0.5, np.nan])
    with pytest.raises(ValueError, match=r"y_true contains NaN"):
        fn([np.nan, 1.0], [0.5, 0.5])


@pytest.mark.parametrize(
    "fn", [ln.hinge, ln.logistic, ln.zero_one, ln.exponential_grad, ln.sigmoid, ln.softmax]
)
def test_nan_is_refused_by_elementwise_functions(fn):
    with pytest.raises(ValueError, match="contains NaN"):
        fn([0.0, np.nan])


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_probabilities_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=rf"y_pred must be probabilities in \[0, 1\]; found "
                                         rf"{bad}.*from_logits=True"):
        ln.binary_cross_entropy([1.0], [bad])
    with pytest.raises(ValueError, match=r"y_true must be binary labels"):
        ln.binary_cross_entropy([bad], [0.5])
    # Logits may be any real number.
    ln.binary_cross_entropy([1.0], [bad], from_logits=True)


def test_categorical_probabilities_must_sum_to_one():
    with pytest.raises(ValueError, match=r"y_pred must sum to 1 along axis 1.*found a sum of 0.6"):
        ln.categorical_cross_entropy([[0.0, 1.0, 0.0]], [[0.2, 0.2, 0.2]])
    with pytest.raises(ValueError, match=r"sum to 1"):
        ln.sparse_categorical_cross_entropy([1], [[0.2, 0.2, 0.2]])
    # Float32 rounding in a genuine softmax output is accepted.
    p = ln.softmax(np.random.default_rng(0).normal(size=(100, 1000)).astype(np.float32))
    ln.categorical_cross_entropy(np.eye(1000, dtype=np.float32)[:100], p)


def test_margin_labels_must_be_plus_minus_one():
    with pytest.raises(ValueError, match=r"y must hold labels in \{-1, \+1\}; found 0.0 at index "
                                         r"\(1,\).*map them with 2\*y - 1"):
        ln.margin([1, 0, 1], [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"found 2.0"):
        ln.margin([1, 2], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"y has shape \(2,\) but score has shape \(2, 1\)"):
        ln.margin([1, -1], [[0.5], [0.5]])


def test_class_labels_out_of_range():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 2\] for 3 "
                                         r"classes.*found 3"):
        ln.sparse_categorical_cross_entropy([0, 3], z, from_logits=True)
    with pytest.raises(ValueError, match=r"found -1"):
        ln.sparse_categorical_cross_entropy([0, -1], z, from_logits=True)
    with pytest.raises(ValueError, match=r"integer class indices; found 0.5"):
        ln.sparse_categorical_cross_entropy([0, 0.5], z, from_logits=True)
    with pytest.raises(ValueError, match=r"labels has shape \(2, 1\).*expected labels of shape "
                                         r"\(2,\)"):
        ln.sparse_categorical_cross_entropy([[0], [1]], z, from_logits=True)


def test_categorical_shapes_and_axis():
    with pytest.raises(ValueError, match=r"y_true has shape \(1, 2\) but y_pred has shape"):
        ln.categorical_cross_entropy([[0.0, 1.0]], [[0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match=r"axis 2 is out of range for y_pred with 2"):
        ln.categorical_cross_entropy([[0.0, 1.0]], [[0.4, 0.6]], axis=2)
    with pytest.raises(ValueError, match=r"must have a class axis; found a scalar"):
        ln.softmax(1.0)


@pytest.mark.parametrize("delta", [0.0, -1.0, np.inf, np.nan, [1.0, 2.0]])
def test_huber_delta_must_be_positive(delta):
    with pytest.raises(ValueError, match=r"delta"):
        ln.huber([0.0], [1.0], delta=delta)
    with pytest.raises(ValueError, match=r"delta"):
        ln.huber_grad([0.0], [1.0], delta=delta)


@pytest.mark.parametrize("fn", [ln.mse, ln.binary_cross_entropy, ln.huber])
def test_unknown_reduction(fn):
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none'; "
                                         r"found 'average'"):
        fn([0.0], [0.5], reduction="average")


def test_empty_mean_is_refused_but_empty_sum_is_zero():
    with pytest.raises(ValueError, match="empty"):
        ln.mse([], [])
    assert ln.mse([], [], reduction="sum") == 0


def test_non_numeric_input():
    with pytest.raises(ValueError, match=r"y_pred must hold real numbers; found dtype"):
        ln.mse([1.0], ["a"])
    with pytest.raises(ValueError, match=r"must hold real numbers; found dtype complex"):
        ln.hinge([1j])


def test_combine_errors():
    with pytest.raises(ValueError, match="losses is empty"):
        ln.combine([])
    with pytest.raises(ValueError, match=r"losses\[1\] has shape \(2,\); expected a scalar"):
        ln.combine([1.0, [1.0, 2.0]])
    with pytest.raises(ValueError, match=r"weights has shape \(3,\); expected one weight per "
                                         r"loss, shape \(2,\)"):
        ln.combine([1.0, 2.0], weights=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="non-negative"):
        ln.combine([1.0, 2.0], weights=[1.0, -1.0])
    with pytest.raises(ValueError, match=r"losses\[0\] contains NaN"):
        ln.combine([np.nan])
