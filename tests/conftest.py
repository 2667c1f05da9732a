"""Test-session set-up shared by the unit tests and the notebook tests (nbval).

Notebook kernels inherit this process's environment, so TensorFlow's stderr banner is silenced
here before any kernel starts; nbval would otherwise compare its timestamped lines.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
