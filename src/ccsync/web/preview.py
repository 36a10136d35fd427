"""The stored Preview: a first run that stopped at it, its banner, and its plan a page at a time.

A run that stops at its Preview (or a Preview asked for) records each planned write and skip as
one of its items (``created``, ``updated``, ``skipped``, ``deleted`` on a target side), so the
Preview page filters and pages through them without reading either system again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from ccsync.engine.config import load_config
from ccsync.store.repos.rows import ConnectorRow, RunRow
from ccsync.store.repos.runs import (
    count_run_items,
    latest_run,
    list_run_items,
    reason_counts,
    waiting_first_run,
)
from ccsync.web.context import WebContext
from ccsync.web.templating import local_time
from ccsync.web.views import SIDE_TITLES, ItemView, item_view, normal_counts

PLAN_PAGE = 50
PLAN_ACTIONS = ("created", "updated", "skipped", "deleted")
# The first-sync matching report's lines (the engine's ``MatchingReport`` fields) in words.
MATCHING_WORDS = {
    "matched": "Matched by email",
    "ambiguous": "One email on several Vtiger contacts (skipped)",
    "no_email": "Without an email",
    "invalid_email": "With an invalid email",
    "no_last_name": "Without a last name (Vtiger requires one)",
    "cc_deleted_twins": "Matched a contact deleted in Constant Contact",
    "cc_unsubscribed_twins": "Matched a contact unsubscribed in Constant Contact",
    "before_cutoff": "Older than Sync Records From",
}


@dataclass(frozen=True, slots=True)
class Banner:
    """ "First sync stopped at its Preview: N creates, M overwrites — Review and confirm"."""

    run_id: int
    creates: int
    overwrites: int

    @property
    def text(self) -> str:
        """The banner's sentence (the link's words come after it)."""
        return (
            f"First sync stopped at its Preview: {_plural(self.creates, 'create')}, "
            f"{_plural(self.overwrites, 'overwrite')}"
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def waiting_run(ctx: WebContext, connector_id: int) -> RunRow | None:
    """The first run that stopped at its Preview and waits for Confirm or Discard, if any."""
    with ctx.sessions() as session:
        return waiting_first_run(session, connector_id)


def banner_of(run: RunRow | None) -> Banner | None:
    """The banner of a waiting first run (creates and overwrites on both sides)."""
    if run is None:
        return None
    counts = normal_counts(run.counts)
    creates = sum(c["created"] for c in counts.values())
    overwrites = sum(c["updated"] for c in counts.values())
    return Banner(run.id, creates, overwrites)


def first_run_banner(ctx: WebContext, connector_id: int) -> Banner | None:
    """The banner for the Sync window and the Sync Log, when a first run waits."""
    return banner_of(waiting_run(ctx, connector_id))


@dataclass(frozen=True, slots=True)
class PlanFilter:
    """The Preview page's query: a target side, an action, a reason ("" for all) and a page."""

    side: str = ""
    action: str = ""
    reason: str = ""
    page: int = 1

    def query(self, **changes: str | int) -> str:
        """This filter's query string with ``changes`` (empty values and page 1 left out)."""
        values: dict[str, str | int] = {
            "side": self.side,
            "action": self.action,
            "reason": self.reason,
            "page": self.page,
        }
        values.update(changes)
        kept = {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}
        return "?" + urlencode(kept) if kept else ""


@dataclass(slots=True)
class PlanPage:
    """One page of a stored Preview's planned actions, and what the filters can choose."""

    run_id: int
    stopped: bool
    planned_at: str
    summary: dict[str, dict[str, int]]
    matching: dict[str, int]
    reasons: dict[str, int]
    items: list[ItemView] = field(default_factory=list)
    total: int = 0
    first: int = 0
    last: int = 0
    page: int = 1
    pages: int = 1

    def side_title(self, side: str) -> str:
        """ "Constant Contact" or "Vtiger CRM"."""
        return SIDE_TITLES.get(side, side)

    @staticmethod
    def matching_words(key: str) -> str:
        """A line of the matching report in words ("skipped: <reason>" keeps its reason)."""
        if key in MATCHING_WORDS:
            return MATCHING_WORDS[key]
        return key.replace("_", " ").capitalize()


def shown_plan(ctx: WebContext, connector_id: int) -> RunRow | None:
    """The plan to show: the newest run, when it is a Preview (stopped or asked for)."""
    with ctx.sessions() as session:
        run = latest_run(session, connector_id)
    return run if run is not None and run.status == "preview" else None


def plan_page(
    ctx: WebContext, row: ConnectorRow, run: RunRow, want: PlanFilter, zone: str
) -> PlanPage:
    """Page ``want.page`` (clamped to the last) of ``run``'s planned actions under ``want``."""
    side, action, reason = want.side or None, want.action or None, want.reason or None
    config = load_config(row)
    with ctx.sessions() as session:
        total = count_run_items(session, run.id, side=side, action=action, reason=reason)
        pages = max(1, -(-total // PLAN_PAGE))
        page = min(want.page, pages)
        offset = (page - 1) * PLAN_PAGE
        rows = list_run_items(
            session, run.id, side=side, action=action, reason=reason, limit=PLAN_PAGE,
            offset=offset,
        )  # fmt: skip
        reasons = reason_counts(session, run.id)
        skips = reason_counts(session, run.id, action="skipped")
    matching = run.counts.get("matching")
    return PlanPage(
        run_id=run.id,
        stopped=run.trigger != "preview",
        planned_at=local_time(run.started_at, zone),
        summary=normal_counts(run.counts),
        matching=_matching(matching if isinstance(matching, dict) else {}, skips),
        reasons=reasons,
        items=[item_view(i, config) for i in rows],
        total=total,
        first=offset + 1 if rows else 0,
        last=offset + len(rows),
        page=page,
        pages=pages,
    )


def _matching(stored: dict[str, object], skips: dict[str, int]) -> dict[str, int]:
    """The first-sync matching report of the stored plan, and its skips per reason."""
    report = {str(k): v for k, v in stored.items() if isinstance(v, int)}
    if not report:
        return {}
    return report | {f"skipped: {k}": n for k, n in skips.items()}
