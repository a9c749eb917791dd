"""Lesson 3's planted bug (03_tiny_rnn.ipynb, section 3 and exercise 2): a backward pass with one
bug, for the gradient check to catch and the student to hunt down.

Teaching material, not a checker: lesson 3 shows the gradient check failing on it, prints its
source for the bug hunt, and exercise 2's checker (:mod:`helpers.exercises.lesson3`) runs the
student's bug finder on it.
"""

from __future__ import annotations

import numpy as np

from . import tiny_rnn
from .softmax import log_softmax

__all__ = ["buggy_loss_and_grads", "WRONG_GRADIENTS"]

WRONG_GRADIENTS = frozenset({"Wxh", "Whh", "bh"})
"""The parameters whose gradients :func:`buggy_loss_and_grads` gets wrong (the answer to the hunt)."""


def buggy_loss_and_grads(params, inputs, targets, h0):
    """A backward pass with one bug, for lesson 3's bug hunt (same interface as
    :func:`helpers.tiny_rnn.loss_and_grads`).

    Taught in: lesson 3, section 3 (the gradient check fails on it) and exercise 2 (the bug hunt).
    """
    hs, logits = tiny_rnn.forward(params, inputs, h0)
    b, length, v = logits.shape
    logp = log_softmax(logits)
    loss = float(-np.take_along_axis(logp, targets[..., None], axis=-1).mean())
    dlogits = np.exp(logp)
    for i in range(b):
        for t in range(length):
            dlogits[i, t, targets[i, t]] -= 1.0
    dlogits /= b
    grads = {
        "Why": dlogits.reshape(-1, v).T @ hs[:, 1:].reshape(b * length, -1),
        "by": dlogits.sum(axis=(0, 1)),
        "Wxh": np.zeros_like(params["Wxh"]),
        "Whh": np.zeros_like(params["Whh"]),
        "bh": np.zeros_like(params["bh"]),
    }
    dh_next = np.zeros_like(h0)
    for t in reversed(range(length)):
        dh = dlogits[:, t] @ params["Why"] + dh_next
        draw = dh  # back through tanh
        grads["bh"] += draw.sum(axis=0)
        for i in range(b):
            grads["Wxh"][:, inputs[i, t]] += draw[i]
        grads["Whh"] += draw.T @ hs[:, t]
        dh_next = draw @ params["Whh"]
    return loss, grads, hs[:, -1]
