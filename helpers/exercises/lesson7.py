"""Lesson 7's exercises (07_from_characters_to_tokens.ipynb, "Exercises"): transformers' repetition
penalty, the share of probability that falls outside the top tokens at a temperature, and one BPE merge.

Each exercise is a reference, its cases and its catalogue of usual mistakes (see
:mod:`helpers.exercises.runner`); a teacher adds a mistake with one ``Mistake(...)`` line.

The references are :mod:`helpers.token_logits`'s (numpy only, re-exported by
:mod:`helpers.token_sampling`), so that ``import helpers.exercises as check`` does not load PyTorch in
the lessons that do not need it.
"""

from __future__ import annotations

import operator
from collections import Counter

import numpy as np

from ..softmax import softmax_with_temperature as _tempered
from ..token_logits import repetition_penalty as _repetition_penalty
from ..token_logits import tail_mass, zipf_logits
from .runner import Exercise, Mistake, Unreadable, case, close, number, numbers, unreadable

# --- Exercise 1: transformers' repetition penalty ---------------------------------------------------

_Z = np.array([2.0, -1.0, 0.5, -3.0, 1.0, 0.0])


def repetition_penalty_reference(logits: np.ndarray, seen_ids: list[int], penalty: float) -> np.ndarray:
    """``fn(logits, seen_ids, penalty) -> the logits after transformers' repetition penalty`` (shape
    ``(V,)``): each token in ``seen_ids``, once however often it appears, has its logit divided by
    ``penalty`` if positive and multiplied by it if negative; the other tokens are unchanged
    (:func:`helpers.token_sampling.repetition_penalty`).

    Used by: lesson 7, exercise 1's check (``check.repetition_penalty``).
    """
    return _repetition_penalty(logits, seen_ids, penalty)


def _seen(z, seen_ids) -> np.ndarray:
    mask = np.zeros(np.shape(z), dtype=bool)
    mask[np.asarray(seen_ids, dtype=np.int64)] = True
    return mask


def _penalised_where(z, mask, penalty, positive, negative) -> np.ndarray:
    """The logits with ``positive(z, r)`` / ``negative(z, r)`` applied where ``mask`` holds."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(mask, np.where(z < 0, negative(z, penalty), positive(z, penalty)), z)


def _once_per_occurrence(z, seen_ids, penalty):
    z = np.array(z, dtype=np.float64)
    for i in seen_ids:  # a token seen three times is penalised three times: penalty ** 3
        z[i] = z[i] * penalty if z[i] < 0 else z[i] / penalty
    return z


def _on_probabilities(z, seen_ids, penalty):
    probs = _tempered(z)
    return np.where(_seen(z, seen_ids), probs / penalty, probs)


def _looks_like_probabilities(a) -> bool:
    got, z = a.got, np.asarray(a.logits)
    return bool(np.isfinite(got).all() and np.all((got >= 0) & (got <= 1)) and got.sum() <= 1 + 1e-6
                and not np.all((z >= 0) & (z <= 1)))


def _most_repeated(a) -> tuple[int, int]:
    return Counter(int(i) for i in a.seen_ids).most_common(1)[0]


_PENALTY_WHERE = "for logits {logits_list}, seen_ids {seen_list} and penalty = {penalty}"
_THE_RULE = ("transformers' rule: a seen token's logit divided by the penalty if positive, multiplied by it if "
             "negative; the other tokens unchanged.")

repetition_penalty = Exercise(
    name="repetition_penalty",
    reference=repetition_penalty_reference,
    params=("logits", "seen_ids", "penalty"),
    cases=[
        (_Z, [0, 1, 3], 1.5),  # positive and negative seen logits, no repeats
        (_Z, [4, 1, 4, 4, 3], 1.5),  # token 4 seen three times
        (_Z, [0, 3, 5], 0.8),  # a penalty below 1 (encourages repeats); token 5 has logit exactly 0
        (_Z, [5], 2.0),  # only a logit of 0 seen: 0 / 2 = 0 * 2 = 0, nothing changes
        (_Z, [], 1.3),  # nothing seen yet
        (np.array([0.3, -2.2, 4.1, -0.7, 1.9, -5.0, 0.0, 2.6]), [2, 2, 1, 5, 6, 2, 1], 1.2),
    ],
    read=numbers,
    same=close(atol=1e-9, rtol=1e-9),
    quotes={"logits_list": lambda a: a.logits.tolist(), "seen_list": lambda a: list(a.seen_ids),
            "repeated": lambda a: _most_repeated(a)[0], "times": lambda a: _most_repeated(a)[1]},
    mistakes=[
        Mistake("returns_nothing", lambda z, s, r: None,
                "penalise should return the logits (a numpy array, one per token), got {raw!r}: did you forget "
                "`return`?", spot=unreadable),
        Mistake("only_the_seen", lambda z, s, r: repetition_penalty_reference(z, s, r)[np.unique(s)],
                "penalise should return one logit per token (shape {logits.shape}), got shape {got.shape}: return "
                "all the logits, the seen ones changed and the others as they were.",
                spot=lambda a: a.got.shape != np.shape(a.logits)),
        Mistake("applied_to_probabilities", _on_probabilities,
                _PENALTY_WHERE + " you returned probabilities (all between 0 and 1, adding up to at most 1): the "
                "penalty was applied to probabilities. The penalty acts on logits, before softmax and temperature "
                "(generate applies it first, then divides by T): dividing a probability by the penalty is another "
                "rule, and what you return would go through softmax a second time. Return the logits, with "
                + _THE_RULE, spot=_looks_like_probabilities),
        Mistake("divides_negative_logits", lambda z, s, r: _penalised_where(z, _seen(z, s), r, np.divide, np.divide),
                _PENALTY_WHERE + " you divided every seen logit by the penalty, negative ones too. With a penalty "
                "above 1, a negative logit divided by the penalty moves towards 0, so its token becomes MORE likely; "
                "transformers multiplies negative logits by the penalty (z < 0: z * penalty; otherwise z / penalty)."),
        Mistake("rule_reversed", lambda z, s, r: _penalised_where(z, _seen(z, s), r, np.multiply, np.divide),
                _PENALTY_WHERE + " you multiplied the positive seen logits by the penalty and divided the negative "
                "ones: the rule reversed, which with a penalty above 1 makes the seen tokens MORE likely. Positive "
                "logit / penalty, negative logit * penalty."),
        Mistake("mask_inverted", lambda z, s, r: _penalised_where(z, ~_seen(z, s), r, np.divide, np.multiply),
                _PENALTY_WHERE + " you changed the tokens that were NOT seen and left the seen ones as they were: the "
                "mask is inverted. Penalise only the ids in seen_ids."),
        Mistake("every_token_penalised", lambda z, s, r: repetition_penalty_reference(z, range(len(z)), r),
                _PENALTY_WHERE + " you penalised every token, seen or not: the mask is missing. Penalise only "
                "the ids in seen_ids; leave the other tokens' logits unchanged."),
        Mistake("once_per_occurrence", _once_per_occurrence,
                _PENALTY_WHERE + ": token {repeated} was seen {times} times and you penalised it {times} times "
                "(penalty ** {times}), once per occurrence. transformers penalises each seen token once, however "
                "often it appeared: take each id once (np.unique(seen_ids), or a boolean mask)."),
        Mistake("subtracts_the_penalty", lambda z, s, r: np.where(_seen(z, s), np.asarray(z) - r, z),
                _PENALTY_WHERE + " you subtracted the penalty from the seen logits: that is the OpenAI API's presence "
                "penalty (logit - presence), another knob. " + _THE_RULE),
    ],
    general=_PENALTY_WHERE + " expected {want_shown}, got {got_shown}. " + _THE_RULE,
    success="a seen token's positive logit is divided by the penalty, a negative one multiplied: above 1, both "
            "lower its chance, once however often it was seen.",
)


# --- Exercise 2: the tail's share at a temperature --------------------------------------------------

def tail_share_reference(logits: np.ndarray, temperature: float, top: int) -> float:
    """``fn(logits, temperature, top) -> the probability outside the top most likely tokens`` at
    that temperature: the sum of ``softmax(logits / T)`` over every token but the ``top`` with the
    largest logits (0 when ``top >= V``) (:func:`helpers.token_sampling.tail_mass`).

    Used by: lesson 7, exercise 2's check (``check.tail_share``).
    """
    return tail_mass(logits, temperature, top)


def _tail_of(probs, z, top) -> float:
    return float(probs[np.argsort(-np.asarray(z), kind="stable")[top:]].sum())


_HAND = np.array([3.0, 1.0, 2.0, 0.0, -1.0])
_ZIPF = zipf_logits(1000)

_TAIL_WHERE = "for {what} at temperature = {temperature} and top = {top}"

tail_share = Exercise(
    name="tail_share",
    reference=tail_share_reference,
    params=("logits", "temperature", "top"),
    cases=[
        case(_HAND, 1.0, 2, what="logits [3.0, 1.0, 2.0, 0.0, -1.0]"),
        case(_HAND, 2.0, 2, what="logits [3.0, 1.0, 2.0, 0.0, -1.0]"),
        case(_HAND, 0.5, 1, what="logits [3.0, 1.0, 2.0, 0.0, -1.0]"),
        case(_ZIPF, 1.5, 10, what="zipf_logits(1000)"),
        case(_ZIPF, 0.7, 10, what="zipf_logits(1000)"),
        case(_ZIPF, 1.5, 100, what="zipf_logits(1000)"),
        case(np.array([1.0, 2.0, 3.0]), 1.5, 3, what="logits [1.0, 2.0, 3.0]"),  # top = V: no tail
        case(np.array([1.0, 2.0, 3.0]), 1.5, 10, what="logits [1.0, 2.0, 3.0]"),  # top > V: no tail
    ],
    read=number,
    same=close(atol=1e-9, rtol=1e-6),
    quotes={"one_fewer": lambda a: a.top - 1},
    mistakes=[
        Mistake("not_one_number", lambda z, t, k: _tempered(z, t),
                "tail_share should return one number (a probability between 0 and 1), got {raw!r}", spot=unreadable),
        Mistake("returns_the_head", lambda z, t, k: 1.0 - tail_share_reference(z, t, k),
                _TAIL_WHERE + " you return {got:.4f}, the share INSIDE the top {top} (the head); the tail is what "
                "is left outside them: {want:.4f}. Sum the probabilities of the tokens after the first {top} of "
                "the ranking (or 1 minus the head)."),
        Mistake("least_likely_as_the_head", lambda z, t, k: _tail_of(_tempered(z, t), -np.asarray(z), k),
                _TAIL_WHERE + " you treated the {top} LEAST likely tokens as the head (an ascending sort): "
                "np.argsort sorts from smallest to largest. Rank from the most likely: np.argsort(-logits), or "
                "np.sort(probs)[::-1]."),
        Mistake("temperature_ignored", lambda z, t, k: tail_share_reference(z, 1.0, k),
                _TAIL_WHERE + " you return {got:.4f}, the tail at T = 1: the temperature was ignored. Take the "
                "probabilities at temperature T, softmax(logits / T), before you add up the tail."),
        Mistake("multiplied_by_T", lambda z, t, k: _tail_of(_tempered(np.asarray(z) * t), z, k),
                _TAIL_WHERE + ": you multiplied the logits by T; divide them (softmax(logits / T)), so that a hot "
                "T flattens the distribution and gives the tail more."),
        Mistake("one_token_off", lambda z, t, k: tail_share_reference(z, t, max(k - 1, 0)),
                _TAIL_WHERE + " you return {got:.4f}, the share outside the top {one_fewer}: one token too few in "
                "the head. The head holds exactly `top` tokens; the tail starts at position `top` of the ranking "
                "(order[top:], counting from 0)."),
        Mistake("a_percentage", lambda z, t, k: 100 * tail_share_reference(z, t, k),
                _TAIL_WHERE + " you return {got:.4f}: a percentage? Return the probability, between 0 and 1 "
                "({want:.4f})."),
    ],
    general=_TAIL_WHERE + " expected {want:.4f}, got {got:.4f}. Steps: probabilities = softmax(logits / T); rank "
            "the tokens from the most likely; add up the probabilities of all but the first top.",
    success="a hot temperature moves probability into the tail; the longer the tail, the more it takes.",
)


# --- Exercise 3: one BPE merge -------------------------------------------------------------------------

def merge_reference(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """``fn(ids, pair, new_id) -> a new list of ids`` where every occurrence of the adjacent pair
    ``pair`` (``pair[0]`` then ``pair[1]``), found scanning from left to right without overlaps, is
    replaced by ``new_id``: one step of byte-pair encoding (as ``merge`` in Karpathy's minbpe, and
    Sennrich et al. 2016's BPE). E.g. ``([5, 5, 5], (5, 5), 7) -> [7, 5]``.

    Used by: lesson 7, exercise 3's check (``check.merge_pair``).
    """
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2  # both ids of the pair are used: an occurrence overlapping this one is not merged
        else:
            out.append(ids[i])
            i += 1
    return out


def _token_ids(x) -> list[int]:
    """A list of whole numbers (from a list, a tuple or a 1-D integer array), else :class:`Unreadable`."""
    if not isinstance(x, (list, tuple, np.ndarray)) or (isinstance(x, np.ndarray) and x.ndim != 1):
        raise Unreadable(x)
    return [operator.index(v) for v in x]  # a float, a tuple or a string raises TypeError


def _only_the_first(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == tuple(pair):
            return list(ids[:i]) + [new_id] + list(ids[i + 2:])
    return list(ids)


def _one_step_after_a_merge(ids, pair, new_id):
    out = []
    for i in range(len(ids)):  # never skips the pair's second id
        out.append(new_id if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair) else ids[i])
    return out


def _overlaps_merged(ids, pair, new_id):
    starts = {i for i in range(len(ids) - 1) if (ids[i], ids[i + 1]) == tuple(pair)}
    covered = starts | {i + 1 for i in starts}
    return [new_id if i in starts else ids[i] for i in range(len(ids)) if i in starts or i not in covered]


def _last_dropped(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:  # stops before the last id and never appends it
        if (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _from_the_right(ids, pair, new_id):
    return merge_reference(list(ids)[::-1], tuple(pair)[::-1], new_id)[::-1]


_MERGE_WHERE = "for ids {ids}, pair {pair} and new_id {new_id}"

merge_pair = Exercise(
    name="merge_pair",
    reference=merge_reference,
    params=("ids", "pair", "new_id"),
    cases=[
        ([1, 2, 3, 1, 2], (1, 2), 9),
        ([5, 5, 5], (5, 5), 7),  # overlapping occurrences: only the first is merged
        ([3, 1, 2], (1, 2), 9),  # the pair at the end
        ([1, 3, 2, 1], (1, 2), 9),  # no occurrence: unchanged
        ([], (1, 2), 9),  # an empty list
        ([2, 1, 2, 1], (1, 2), 9),  # (2, 1) is not (1, 2)
        ([5, 5, 5, 5], (5, 5), 7),
        ([4, 1, 2, 1, 2, 2, 1], (1, 2), 8),
    ],
    read=_token_ids,
    same=lambda a, b: a == b,
    mistakes=[
        Mistake("returns_none", lambda ids, pair, new_id: None,
                "merge returned None: did you forget `return`? (A function without a return statement returns "
                "None; return the new list.)", spot=lambda a: a.raw is None),
        Mistake("not_a_list_of_ids", lambda ids, pair, new_id: merge_reference(ids, pair, tuple(pair)),
                _MERGE_WHERE + ": merge should return a list of token ids (whole numbers), got {raw!r}. Put "
                "new_id where the pair was, not the pair itself.", spot=unreadable),
        Mistake("nothing_merged", lambda ids, pair, new_id: list(ids),
                _MERGE_WHERE + " you returned the ids unchanged: no occurrence of the pair was merged. Compare each "
                "adjacent pair with `pair`: (ids[i], ids[i + 1]) == tuple(pair). (A list never equals a tuple "
                "in Python: [1, 2] == (1, 2) is False.)"),
        Mistake("pair_reversed", lambda ids, pair, new_id: merge_reference(ids, tuple(pair)[::-1], new_id),
                _MERGE_WHERE + " you merged the pair the wrong way round, pair[1] followed by pair[0]. A pair is "
                "ordered: pair[0], then pair[1] right after it ([2, 1] is not an occurrence of (1, 2))."),
        Mistake("only_the_first", _only_the_first,
                _MERGE_WHERE + " you merged only the first occurrence of the pair. A merge replaces every "
                "occurrence: keep scanning to the end of the list."),
        Mistake("one_step_after_a_merge", _one_step_after_a_merge,
                _MERGE_WHERE + " you got {got}: after a merge you moved on by one id, so the pair's second id stayed "
                "in the list. After a merge, skip both ids (i += 2)."),
        Mistake("overlaps_merged", _overlaps_merged,
                _MERGE_WHERE + " you got {got}: the occurrences of the pair overlap, and you merged both. An id can "
                "join only one pair: scan from left to right and, after a merge, jump past both ids (i += 2), so "
                "[5, 5, 5] with (5, 5) gives [7, 5]."),
        Mistake("scanned_from_the_right", _from_the_right,
                _MERGE_WHERE + " you got {got}: you merged the overlapping occurrences from the right. BPE scans "
                "from left to right: [5, 5, 5] with (5, 5) gives [7, 5], not [5, 7]."),
        Mistake("last_id_dropped", _last_dropped,
                _MERGE_WHERE + " you got {got}: the last id was dropped. A loop that stops at len(ids) - 1 never "
                "appends the last id when it is not part of a merge: loop while i < len(ids), and test "
                "i + 1 < len(ids) before you look at ids[i + 1]."),
    ],
    general=_MERGE_WHERE + " expected {want}, got {got}.",
    success="every occurrence of the pair, taken from left to right without overlaps, became one new token.",
)

EXERCISES = [repetition_penalty, tail_share, merge_pair]
