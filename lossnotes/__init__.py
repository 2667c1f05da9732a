"""lossnotes: the loss functions of deep learning, derived by hand and computed stably.

A flat public namespace over small private modules: ``import lossnotes as ln`` and call
``ln.hinge``, ``ln.binary_cross_entropy``, ``ln.huber_grad``. The core depends on NumPy only;
TensorFlow and PyTorch are imported only by the comparison tools, when they are called.

The exact functions compute the mathematics. ``lossnotes.like_keras`` and
``lossnotes.like_torch`` have the same names and arguments and compute what ``tf.keras`` and
``torch.nn.functional`` return, edge conventions included. ``compare``, ``compare_grad`` and
``Comparison`` (and those two modules) are imported on first use, so ``import lossnotes`` costs
little more than ``import numpy``.
"""

import importlib

from ._circle import circle, circle_grad
from ._combine import combine
from ._cross_entropy import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    categorical_cross_entropy,
    categorical_cross_entropy_grad,
    sparse_categorical_cross_entropy,
    sparse_categorical_cross_entropy_grad,
)
from ._ctc import ctc, ctc_grad
from ._divergence import (
    gaussian_nll_loss,
    gaussian_nll_loss_grad,
    kl_divergence,
    kl_divergence_grad,
    nll_loss,
    nll_loss_grad,
    poisson,
    poisson_grad,
)
from ._embedding import cosine_embedding_loss, cosine_embedding_loss_grad
from ._focal import (
    binary_focal_cross_entropy,
    binary_focal_cross_entropy_grad,
    categorical_focal_cross_entropy,
    categorical_focal_cross_entropy_grad,
    categorical_generalized_cross_entropy,
    categorical_generalized_cross_entropy_grad,
)
from ._links import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax
from ._margin import (
    exponential,
    exponential_grad,
    hinge,
    hinge_grad,
    logistic,
    logistic_grad,
    margin,
    perceptron,
    perceptron_grad,
    squared_hinge,
    squared_hinge_grad,
    zero_one,
    zero_one_grad,
)
from ._multiclass_margin import (
    categorical_hinge,
    categorical_hinge_grad,
    hinge_embedding_loss,
    hinge_embedding_loss_grad,
    multi_margin_loss,
    multi_margin_loss_grad,
)
from ._multilabel import (
    multilabel_margin_loss,
    multilabel_margin_loss_grad,
    multilabel_soft_margin_loss,
    multilabel_soft_margin_loss_grad,
)
from ._overlap import dice, dice_grad, tversky, tversky_grad
from ._ranking import margin_ranking_loss, margin_ranking_loss_grad
from ._regression import huber, huber_grad, mae, mae_grad, mse, mse_grad
from ._regression_more import (
    log_cosh,
    log_cosh_grad,
    mean_absolute_percentage_error,
    mean_absolute_percentage_error_grad,
    mean_squared_logarithmic_error,
    mean_squared_logarithmic_error_grad,
)
from ._similarity import negative_cosine_similarity, negative_cosine_similarity_grad
from ._triplet import (
    triplet_margin_loss,
    triplet_margin_loss_grad,
    triplet_margin_with_distance_loss,
    triplet_margin_with_distance_loss_grad,
)

__version__ = "0.1.0"

__all__ = [
    # margin view
    "margin",
    "zero_one",
    "zero_one_grad",
    "perceptron",
    "perceptron_grad",
    "hinge",
    "hinge_grad",
    "squared_hinge",
    "squared_hinge_grad",
    "logistic",
    "logistic_grad",
    "exponential",
    "exponential_grad",
    # links
    "sigmoid",
    "log_sigmoid",
    "softmax",
    "log_softmax",
    "logsumexp",
    # cross-entropy
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "categorical_cross_entropy",
    "categorical_cross_entropy_grad",
    "sparse_categorical_cross_entropy",
    "sparse_categorical_cross_entropy_grad",
    # regression
    "mse",
    "mse_grad",
    "mae",
    "mae_grad",
    "huber",
    "huber_grad",
    # multiclass margins, similarity and metric learning
    "categorical_hinge",
    "categorical_hinge_grad",
    "multi_margin_loss",
    "multi_margin_loss_grad",
    # divergences, counts and positive targets
    "kl_divergence",
    "kl_divergence_grad",
    "poisson",
    "poisson_grad",
    "gaussian_nll_loss",
    "gaussian_nll_loss_grad",
    "nll_loss",
    "nll_loss_grad",
    # robust regression
    "log_cosh",
    "log_cosh_grad",
    "mean_absolute_percentage_error",
    "mean_absolute_percentage_error_grad",
    "mean_squared_logarithmic_error",
    "mean_squared_logarithmic_error_grad",
    # focal losses
    "binary_focal_cross_entropy",
    "binary_focal_cross_entropy_grad",
    "categorical_focal_cross_entropy",
    "categorical_focal_cross_entropy_grad",
    # robust classification
    "categorical_generalized_cross_entropy",
    "categorical_generalized_cross_entropy_grad",
    # segmentation overlaps
    "dice",
    "dice_grad",
    "tversky",
    "tversky_grad",
    "multilabel_soft_margin_loss",
    "multilabel_soft_margin_loss_grad",
    "multilabel_margin_loss",
    "multilabel_margin_loss_grad",
    "hinge_embedding_loss",
    "hinge_embedding_loss_grad",
    # metric learning: a loss of the whole batch
    "circle",
    "circle_grad",
    # sequences: a loss over every alignment
    "ctc",
    "ctc_grad",
    "negative_cosine_similarity",
    "negative_cosine_similarity_grad",
    # three inputs
    "cosine_embedding_loss",
    "cosine_embedding_loss_grad",
    "margin_ranking_loss",
    "margin_ranking_loss_grad",
    "triplet_margin_loss",
    "triplet_margin_loss_grad",
    "triplet_margin_with_distance_loss",
    "triplet_margin_with_distance_loss_grad",
    # several outputs
    "combine",
    # side by side with tf.keras and torch.nn.functional
    "compare",
    "compare_grad",
    "Comparison",
    "Compact",
    "translations",
    # the frameworks' arithmetic
    "like_keras",
    "like_torch",
]

#: Names imported on first use: name -> (module, attribute or None for the module itself).
_LAZY = {
    "compare": ("._compare", "compare"),
    "compare_grad": ("._compare", "compare_grad"),
    "Comparison": ("._compare", "Comparison"),
    "Compact": ("._compare", "Compact"),
    "translations": ("._compare._translation", "translations"),
    "like_keras": (".like_keras", None),
    "like_torch": (".like_torch", None),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'lossnotes' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = importlib.import_module(module, __name__)
    value = value if attr is None else getattr(value, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
