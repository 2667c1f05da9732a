"""TensorFlow/Keras and PyTorch, imported only when a comparison needs them.

``import lossnotes`` depends on NumPy alone. The first comparison imports the framework it calls
(TensorFlow takes seconds); later ones reuse it. Before TensorFlow is imported,
``TF_CPP_MIN_LOG_LEVEL=2`` and ``TF_ENABLE_ONEDNN_OPTS=0`` are set unless the user has set them:
the first silences TensorFlow's start-up lines on stderr, the second its oneDNN banner and the
round-off differences of oneDNN's kernels.
"""

from __future__ import annotations

import os
import sys

#: What to install when a framework is missing: the versions the book is tested with.
INSTALL = {
    "keras": "pip install tensorflow-cpu==2.21.0",
    "torch": "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu",
}

_loaded: dict = {}


class FrameworkNotInstalledError(ImportError):
    """A comparison needs TensorFlow/Keras or PyTorch and it cannot be imported."""


def _missing(framework: str, module: str, exc: BaseException) -> FrameworkNotInstalledError:
    what = "TensorFlow (for tf.keras)" if framework == "keras" else "PyTorch"
    return FrameworkNotInstalledError(
        f"lossnotes.compare needs {what} to compare against {framework}, but "
        f"'import {module}' failed ({exc}). Install it with:\n    {INSTALL[framework]}\n"
        f"or compare against the other framework only, e.g. frameworks=("
        f"{'torch' if framework == 'keras' else 'keras'!r},)."
    )


def keras():
    """Return the ``keras`` module (Keras 3 on the TensorFlow backend), importing it once."""
    if "keras" not in _loaded:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        if "keras" not in sys.modules:
            os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        try:
            import keras as keras_module  # imports TensorFlow, its backend
            import tensorflow as tf
        except ImportError as exc:
            raise _missing("keras", "tensorflow", exc) from exc
        backend = keras_module.backend.backend()
        if backend != "tensorflow":
            raise FrameworkNotInstalledError(
                f"Keras runs on the {backend!r} backend here; lossnotes.compare compares with "
                "tf.keras, so set KERAS_BACKEND=tensorflow before Keras is first imported"
            )
        _loaded["tf"] = tf
        _loaded["keras"] = keras_module
    return _loaded["keras"]


def tensorflow():
    """Return the ``tensorflow`` module (imported together with Keras)."""
    keras()
    return _loaded["tf"]


def torch():
    """Return ``(torch, torch.nn.functional)``, importing them once."""
    if "torch" not in _loaded:
        try:
            import torch as torch_module
            import torch.nn.functional as functional
        except ImportError as exc:
            raise _missing("torch", "torch", exc) from exc
        _loaded["torch"] = (torch_module, functional)
    return _loaded["torch"]


def versions(frameworks=("keras", "torch")) -> dict:
    """Versions of NumPy and of the frameworks compared against (importing them)."""
    import numpy as np

    out = {"numpy": np.__version__}
    if "keras" in frameworks:
        out["tensorflow"] = tensorflow().__version__
        out["keras"] = keras().__version__
    if "torch" in frameworks:
        out["torch"] = torch()[0].__version__
    return out
