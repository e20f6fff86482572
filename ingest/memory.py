"""Process-wide memory habits for a standalone ingest process (``vendorwatch ingest``).

Ingest streams ~250-byte records through Arrow buffers and DuckDB at ~100k/s; what its resident
set holds is mostly memory that was freed but not returned to the operating system, and
modules it never uses. :func:`lean_ingest_process` sets three habits, each measured on the
1M-event ingest benchmark (``make bench``, peak RSS of ``ingest --drain``):

* **Arrow allocates with the C library's malloc** instead of its bundled mimalloc, which keeps
  freed pages of every batch mapped (-50 MB).
* **glibc hands large blocks back when they are freed.** Its mmap threshold starts at 128 KiB
  but rises after each large free, up to 32 MiB, so batch-sized buffers end up carved from
  the heap, where fragmentation keeps them resident. Pinning the threshold (``mallopt``) keeps
  every allocation above 128 KiB a mapping of its own that ``free`` unmaps.
* **pandas is never imported.** duckdb's binding imports it (~45 MB) on the first Arrow scan,
  only to ask whether the object is a DataFrame; ingest never makes one. With the import
  refused, duckdb and pyarrow take their no-pandas paths, as on a machine without it.

All three are for processes that only ingest: the engine (``vendorwatch run``) also runs the
metrics stack, which uses pandas, and keeps the defaults.

:func:`interpreter_tuned_for_ingest` is the one habit every ingest run has, the engine's too:
the cycle collector's thresholds and the GIL switch interval while the loop runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import importlib.abc
import importlib.machinery
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

import pyarrow as pa

log = logging.getLogger(__name__)

MMAP_THRESHOLD_BYTES = 128 * 1024
"""glibc's own initial threshold, pinned: its dynamic adjustment is what we turn off."""
_M_MMAP_THRESHOLD = -3  # from <malloc.h>

UNUSED_MODULES = ("pandas",)


class RefuseImports(importlib.abc.MetaPathFinder):
    """A meta path finder under which importing any of ``modules`` (or their submodules)
    raises :class:`ModuleNotFoundError`, exactly as if they were not installed."""

    def __init__(self, modules: Sequence[str]) -> None:
        self.modules = tuple(modules)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in self.modules:
            raise ModuleNotFoundError(
                f"{fullname} is not used by a standalone ingest process", name=fullname
            )
        return None


def lean_ingest_process() -> None:
    """Apply the habits of the module docstring to this process (idempotent). Call it before
    the first Arrow table is built; a module already imported stays imported."""
    pa.set_memory_pool(pa.system_memory_pool())
    _pin_mmap_threshold()
    if not any(isinstance(finder, RefuseImports) for finder in sys.meta_path):
        loaded = [name for name in UNUSED_MODULES if name in sys.modules]
        if loaded:
            log.debug("already imported, kept: %s", loaded)
        sys.meta_path.insert(0, RefuseImports(UNUSED_MODULES))


def _pin_mmap_threshold() -> None:
    name = ctypes.util.find_library("c")
    if name is None:  # not glibc-like: nothing to pin
        return
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # e.g. musl has no mallopt
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1:
        log.debug("mallopt(M_MMAP_THRESHOLD) refused; glibc keeps its dynamic threshold")


GC_THRESHOLDS = (20_000, 10, 100)
"""The cycle collector's thresholds while ingest runs (see :meth:`Ingestor.run`)."""
SWITCH_INTERVAL_S = 0.0005
"""Python's GIL switch interval while ingest runs (its default is 5 ms). The poller runs
Python almost all the time; the writer runs DuckDB without the GIL but needs it back after
every statement, and waited up to a whole interval each time: beside a busy thread a trivial
statement took ~20 ms at 5 ms, ~2 ms at 0.5 ms, 0.1 ms alone (see CHANGELOG)."""


@contextmanager
def interpreter_tuned_for_ingest() -> Iterator[None]:
    """The collector and GIL settings ingest runs with (:data:`GC_THRESHOLDS`,
    :data:`SWITCH_INTERVAL_S`), and the process's own back afterwards.

    A poll creates ~50k short-lived objects; the default generation-0 threshold (700) would
    run the cycle collector ~70 times per poll, and freezing what start-up made keeps those
    runs from walking it. Much higher thresholds (200k, as before) left ~30 MB of
    kafka-python's cyclic garbage waiting between collections (make bench). Everything is
    undone on the way out: objects left frozen are never collected, not even at interpreter
    exit, which duckdb's binding layer reports as leaks."""
    gc.collect()
    gc.freeze()
    previous_thresholds = gc.get_threshold()
    previous_interval = sys.getswitchinterval()
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        sys.setswitchinterval(previous_interval)
        gc.set_threshold(*previous_thresholds)
        gc.unfreeze()
