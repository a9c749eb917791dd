"""Tested reference code for the temperature lessons.

Importing it sets numpy's BLAS to one thread outside the heavy helpers, which choose their own
(see :mod:`helpers.threads`).
"""

from . import threads as _threads

_threads.use_outside_default()
