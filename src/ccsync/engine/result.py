"""What a run reports back to its caller (CLI, web, scheduler)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RunStatus = Literal[
    "succeeded",
    "partial",
    "preview",
    "failed",
    "reconnect_needed",
    "quota_exhausted",
    "busy",
]

ACTIONS = ("created", "updated", "skipped", "deleted")

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called while a run works (total 0 = unknown)."""


def empty_counts() -> dict[str, dict[str, int]]:
    """The seed's two tables: per target side, Created / Updated / Skipped / Deleted."""
    return {side: dict.fromkeys(ACTIONS, 0) for side in ("cc", "crm")}


@dataclass(slots=True)
class RunResult:
    """The outcome of one run.

    Attributes:
        run_id: the stored run's id (None when the run never started, e.g. ``busy``).
        status: how it ended (see ``RunStatus``).
        counts: per target side (``cc`` / ``crm``), Created / Updated / Skipped / Deleted.
        conflicts: field conflicts resolved by policy, each with both values.
        calls: remote requests made per provider (``crm`` / ``cc``).
        duration_s: wall time of the run.
        error: the run-level error message, if any.
        held: actions held by the circuit breaker, per side.
        preview: the planned actions when the run stopped at its Preview (or was a dry run).
        matching: the first-sync matching report of that plan (sync rule P4): matched pairs,
            ambiguous duplicates, records without email or last name, deleted or unsubscribed CC
            twins, records before the Sync Records From cutoff — as counts.
    """

    run_id: int | None
    status: RunStatus
    counts: dict[str, dict[str, int]] = field(default_factory=empty_counts)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=lambda: {"crm": 0, "cc": 0})
    duration_s: float = 0.0
    error: str | None = None
    held: dict[str, int] = field(default_factory=lambda: {"crm": 0, "cc": 0})
    preview: list[dict[str, Any]] = field(default_factory=list)
    matching: dict[str, int] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        """Records created, updated or deleted on either side."""
        return sum(c[a] for c in self.counts.values() for a in ("created", "updated", "deleted"))

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``ccsync sync --json`` prints."""
        data = asdict(self)
        data["duration_s"] = round(self.duration_s, 3)
        return data
