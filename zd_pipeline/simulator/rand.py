"""Deterministic, index-addressable randomness: every simulated value is a pure function of (seed, salt, index).

That is what lets the bench scale produce any page of a million tickets without generating the ones before it:
``draws(seed, salt, indices, width)`` gives the same numbers for an index whether it is asked for alone, in a page
or in the vectorised layout build. The mixer is SplitMix64 (public domain), vectorised with numpy ``uint64``
arithmetic, which wraps exactly like the 64-bit reference.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

_MASK = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser over a ``uint64`` array (wrapping arithmetic, no warnings)."""
    z = values.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z += _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def key(seed: int, salt: int) -> int:
    """A 64-bit stream key from the user's seed and a per-purpose salt."""
    return int(mix(np.array([(seed * 1_000_003 + salt) & _MASK], dtype=np.uint64))[0])


def draws(seed: int, salt: int, indices: np.ndarray | list[int], width: int) -> np.ndarray:
    """A ``(len(indices), width)`` array of 32-bit draws (as ``int64``) for each index; pure in its arguments."""
    idx = np.asarray(indices, dtype=np.uint64).reshape(-1, 1)
    cols = np.arange(width, dtype=np.uint64).reshape(1, -1)
    with np.errstate(over="ignore"):
        raw = idx * np.uint64(width) + cols
    mixed = mix(raw ^ np.uint64(key(seed, salt)))
    return (mixed >> np.uint64(32)).astype(np.int64)


def column(seed: int, salt: int, indices: np.ndarray, col: int = 0, width: int = 1) -> np.ndarray:
    """One column of :func:`draws` for many indices (the vectorised layout build uses this)."""
    return draws(seed, salt, indices, width)[:, col]


def uuids_for(seed: int, salt: int, indices: Any) -> list[str]:
    """Stable random-looking UUID strings (version 4), one per index: the ids of routing objects."""
    rows = draws(seed, salt, np.asarray(indices, dtype=np.int64), 4)
    return [
        str(uuid.UUID(int=(int(a) << 96) | (int(b) << 64) | (int(c) << 32) | int(d), version=4)) for a, b, c, d in rows
    ]


def draw_column(seed: int, salt: int, indices: np.ndarray, width: int, col: int) -> np.ndarray:
    """Column ``col`` of :func:`draws` with that ``width``, computing only that column (same values)."""
    idx = np.asarray(indices, dtype=np.uint64)
    with np.errstate(over="ignore"):
        raw = idx * np.uint64(width) + np.uint64(col)
    return (mix(raw ^ np.uint64(key(seed, salt))) >> np.uint64(32)).astype(np.int64)
