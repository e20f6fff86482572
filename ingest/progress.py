"""What ingest reports: each batch's outcome, running totals, and the failure that ends a run.

:class:`IngestProgress` is read by the polling thread while the writer thread adds to it;
:class:`StoreWriteFailed` is what :meth:`ingest.consumer.Ingestor.run` raises when the writer
could not store a batch (nothing of that transaction was committed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ingest.records import DeadLetter


@dataclass
class BatchOutcome:
    """What one committed batch did."""

    stored: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    duplicates: int = 0
    skipped_replayed: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def count_stored(self, event_type: str, inserted: int) -> None:
        if inserted:  # types without a stored event stay out of ``stored``
            self.stored[event_type] += inserted

    @property
    def stored_total(self) -> int:
        return sum(self.stored.values())


@dataclass
class IngestProgress:
    """Running totals, safe to read from the polling thread; rates count from the first record."""

    started: float | None = None
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    batches: int = 0

    def add(self, outcome: BatchOutcome) -> None:
        self.stored += outcome.stored_total
        self.duplicates += outcome.duplicates
        self.dead_letters += len(outcome.dead_letters)
        self.batches += 1


def in_one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (DuckDB's messages go on with advice lines)."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"


class StoreWriteFailed(RuntimeError):
    """The writer thread could not store a batch; ``__cause__`` is what it raised. Nothing of
    the failed transaction was committed: the next run continues from the stored offsets."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"storing a batch failed: {in_one_line(cause)}")
