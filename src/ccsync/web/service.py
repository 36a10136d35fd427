"""Reads the pages and the API share: connector lines, runs, drill-downs."""

from __future__ import annotations

from ccsync.jobs.backend import RunState
from ccsync.store.lease import lease_busy
from ccsync.store.repos.connectors import list_connectors
from ccsync.store.repos.held import count_held
from ccsync.store.repos.rows import ConnectorRow, RunRow, UserRow
from ccsync.store.repos.runs import list_runs
from ccsync.store.repos.users import list_users
from ccsync.web.context import WebContext
from ccsync.web.templating import local_time
from ccsync.web.views import ConnectorView, connector_view


def visible_connectors(ctx: WebContext, user: UserRow) -> list[ConnectorRow]:
    """Every connector for admins, the user's own for standard users."""
    with ctx.sessions() as session:
        return list_connectors(session, None if user.is_admin else user.id)


def connector_views(
    ctx: WebContext, user: UserRow, rows: list[ConnectorRow]
) -> list[ConnectorView]:
    """The Sync window's lines for ``rows``, times in ``user``'s zone."""
    due = ctx.backend.next_runs()
    with ctx.sessions() as session:
        names = {u.id: u.username for u in list_users(session)}
        last = {r.id: next(iter(list_runs(session, r.id, limit=1)), None) for r in rows}
        held = {r.id: held_note(count_held(session, r.id)) for r in rows}
    return [
        connector_view(
            r,
            names.get(r.owner_id, "?"),
            _live(ctx, r.id, last[r.id]),
            user.time_zone,
            last[r.id],
            held[r.id],
            next_run=local_time(due[r.id], user.time_zone) if r.id in due else "",
        )
        for r in rows
    ]


def _live(ctx: WebContext, connector_id: int, newest: RunRow | None) -> RunState:
    """The run state of this process, or a run going in another process (``ccsync sync``, a
    worker): its run is ``running`` in the store and a live holder has the connector's lease."""
    live = ctx.backend.state(connector_id)
    if live.running or newest is None or newest.status != "running":
        return live
    if not lease_busy(ctx.sessions, connector_id):
        return live  # a run left "running" by a process that died: not going
    return RunState(
        running=True,
        trigger=newest.trigger,
        stage="running in another process",
        started_at=newest.started_at,
    )


def held_note(counts: dict[tuple[str, str], int]) -> str:
    """ "3 deletes held, 120 creates held" from the circuit breaker's held list."""
    per_action: dict[str, int] = {}
    for (_side, action), n in counts.items():
        word = "delete" if action in ("delete", "unlist") else "create"
        per_action[word] = per_action.get(word, 0) + n
    return ", ".join(
        f"{n} {word}{'s' if n != 1 else ''} held" for word, n in sorted(per_action.items())
    )


def one_view(ctx: WebContext, user: UserRow, row: ConnectorRow) -> ConnectorView:
    """The Sync window line of one connector."""
    return connector_views(ctx, user, [row])[0]
