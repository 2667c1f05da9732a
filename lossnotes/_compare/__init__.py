"""Side by side: each hand-derived loss and gradient against tf.keras and torch.nn.functional.

:func:`compare` and :func:`compare_grad` run one loss of lossnotes and the matching Keras and
torch calls on the same inputs, each framework with its own argument order, axis and label
conventions, and return a :class:`Comparison`: the values, per sample and reduced, the largest
differences, a verdict per framework and the notes that explain any difference.

``import lossnotes`` does not import this subpackage: the first use of ``lossnotes.compare``
does. ``_results`` holds the result types and their printing, ``_notes`` the table of the
frameworks' conventions, ``_run`` the one runner, ``_frameworks`` the lazy imports of Keras and
torch; what is specific to each loss is its record in :mod:`lossnotes._registry`.
"""

from ._results import FRAMEWORKS, Compact, Comparison, Note, Row, Tolerance, Values
from ._run import compare, compare_grad

__all__ = ["FRAMEWORKS", "Compact", "Comparison", "Note", "Row", "Tolerance", "Values", "compare",
           "compare_grad"]
