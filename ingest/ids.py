"""The stored event ids, as 64-bit hashes held sorted in memory: "may this id be stored?".

The store guarantees that an ``event_id`` is stored once. Checking each batch against every
stored id is what that guarantee costs, and a DuckDB primary key made it the dearest part of
ingest: its ART index took ~6 of the writer's ~14 CPU-seconds for 1M events (inserting, then
merging at commit) and ~36 bytes of memory an id. Here an id costs 8 bytes and a batch of
50k ids is checked in milliseconds (``make bench``).

Contract of :class:`StoredIdHashes`:

* No false negatives: once the hashes of committed ids are :meth:`~StoredIdHashes.add`\\ ed,
  :meth:`~StoredIdHashes.any_stored` is True for any batch holding one of them.
* A True may be a collision (another id with the same 64-bit hash, about one chance in
  ten million for a batch of 50k against 10M stored ids), so the caller treats it as
  "maybe stored" and compares the ids themselves (:func:`ingest.repeats.find_repeats`).
* The hashes are DuckDB's ``hash()`` of the id, never persisted: they are computed again
  from the event tables whenever a store is opened, so a DuckDB upgrade that changes
  ``hash()`` cannot make a stored id look new.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Hashes = npt.NDArray[np.uint64]

MERGE_FRACTION = 16
"""Recent hashes are merged into the main array once they are 1/16 of it: each id is copied
~16 times in all, while a small batch's add copies only the recent ones."""


def _sorted(hashes: npt.ArrayLike) -> Hashes:
    return np.sort(np.asarray(hashes, dtype=np.uint64))


def _any_in(haystack: Hashes, needles: Hashes) -> bool:
    """Whether any of ``needles`` is in the sorted ``haystack``."""
    if not haystack.size or not needles.size:
        return False
    at = np.minimum(np.searchsorted(haystack, needles), haystack.size - 1)
    return bool((haystack[at] == needles).any())


def _merge(first: Hashes, second: Hashes) -> Hashes:
    """The sorted union (with repeats) of two sorted arrays, in one linear pass."""
    return np.insert(first, np.searchsorted(first, second), second)


def has_repeats(hashes: npt.ArrayLike) -> bool:
    """Whether some hash occurs twice (a batch repeating an id, or a collision inside it)."""
    ordered = _sorted(hashes)
    return bool((ordered[1:] == ordered[:-1]).any())


class StoredIdHashes:
    """The hashes of every stored event id (see the module docstring for the contract)."""

    def __init__(self, hashes: npt.ArrayLike = ()) -> None:
        self._main = _sorted(hashes)
        self._recent: Hashes = np.empty(0, dtype=np.uint64)

    def __len__(self) -> int:
        return int(self._main.size + self._recent.size)

    @property
    def nbytes(self) -> int:
        return int(self._main.nbytes + self._recent.nbytes)

    def any_stored(self, hashes: npt.ArrayLike) -> bool:
        """Whether any of ``hashes`` may belong to a stored id."""
        needles = np.asarray(hashes, dtype=np.uint64)
        return _any_in(self._main, needles) or _any_in(self._recent, needles)

    def add(self, hashes: npt.ArrayLike) -> None:
        """Remember the hashes of newly committed ids."""
        self._recent = _merge(self._recent, _sorted(hashes))
        if self._recent.size * MERGE_FRACTION > self._main.size:
            self._main = _merge(self._main, self._recent)
            self._recent = np.empty(0, dtype=np.uint64)
