"""ForegroundBackend: a click while a run is going is told so and queues at most one more run."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from ccsync.engine.result import RunResult
from ccsync.jobs.backend import ForegroundBackend, JobBackend
from ccsync.jobs.local import LocalBackend
from ccsync.jobs.queue import ProcrastinateBackend
from ccsync.settings import get_settings


def test_clicks_during_a_run_queue_exactly_one_more(tmp_path: Path) -> None:
    calls: list[str] = []
    answers: list[str] = []
    backend: ForegroundBackend

    def fake_run(settings: Any, connector_id: int, trigger: str, **kw: Any) -> RunResult:
        calls.append(trigger)
        if len(calls) == 1:  # two clicks arrive while the first run works
            answers.append(backend.enqueue_sync(connector_id, "manual").status)
            answers.append(backend.enqueue_sync(connector_id, "manual").status)
        return RunResult(len(calls), "succeeded")

    backend = ForegroundBackend(get_settings(data_dir=tmp_path), run=fake_run)
    outcome = backend.enqueue_sync(7, "manual")

    assert answers == ["queued", "already_queued"]
    assert calls == ["manual", "queued"]
    assert outcome.status == "started"
    assert outcome.result is not None and outcome.result.run_id == 2


def test_other_connectors_are_not_queued_behind(tmp_path: Path) -> None:
    seen: list[tuple[int, str]] = []
    backend: ForegroundBackend

    def fake_run(settings: Any, connector_id: int, trigger: str, **kw: Any) -> RunResult:
        seen.append((connector_id, trigger))
        if connector_id == 1:
            assert backend.enqueue_sync(2, "manual").status == "started"
        return RunResult(None, "succeeded")

    backend = ForegroundBackend(get_settings(data_dir=tmp_path), run=fake_run)
    backend.enqueue_sync(1, "manual")

    assert seen == [(1, "manual"), (2, "manual")]


def test_run_now_passes_confirm_and_progress(tmp_path: Path) -> None:
    received: dict[str, Any] = {}

    def fake_run(settings: Any, connector_id: int, trigger: str, **kw: Any) -> RunResult:
        received.update(kw, connector_id=connector_id, trigger=trigger)
        return RunResult(3, "preview")

    def progress(stage: str, done: int, total: int) -> None:
        return None

    backend = ForegroundBackend(get_settings(data_dir=tmp_path), run=fake_run)
    result = backend.run_now(5, "cli", confirm=True, progress=progress)

    assert result.status == "preview"
    assert received == {"confirm": True, "progress": progress, "connector_id": 5, "trigger": "cli"}


def test_preview_plans_through_the_run_entry_point(tmp_path: Path) -> None:
    received: list[tuple[int, str, dict[str, Any]]] = []

    def fake_run(settings: Any, connector_id: int, trigger: str, **kw: Any) -> RunResult:
        received.append((connector_id, trigger, kw))
        return RunResult(4, "preview")

    backend = ForegroundBackend(get_settings(data_dir=tmp_path), run=fake_run)
    assert backend.preview(9).run_id == 4
    assert received == [(9, "preview", {"preview": True})]


def test_confirm_of_an_enqueued_run_applies_to_the_run_that_starts_only(tmp_path: Path) -> None:
    received: list[tuple[str, bool]] = []
    backend: ForegroundBackend

    def fake_run(settings: Any, connector_id: int, trigger: str, **kw: Any) -> RunResult:
        received.append((trigger, kw["confirm"]))
        if len(received) == 1:
            backend.enqueue_sync(connector_id, "manual", confirm=True)  # queued: ordinary
        return RunResult(len(received), "succeeded")

    backend = ForegroundBackend(get_settings(data_dir=tmp_path), run=fake_run)
    assert backend.enqueue_sync(3, "confirm", confirm=True).status == "started"
    assert received == [("confirm", True), ("queued", False)]


def test_both_backends_offer_everything_the_protocol_names() -> None:
    """Runs, Preview, held Confirm/Discard and Discard of a first run: all on ``JobBackend``,
    with the same parameters on the foreground and the local backend."""
    names = {n for n, v in vars(JobBackend).items() if callable(v) and not n.startswith("_")}
    assert names == {"enqueue_sync", "run_now", "preview", "resolve_held", "discard_first_run"}
    for name in names:
        wanted = list(inspect.signature(getattr(JobBackend, name)).parameters.items())
        for backend in (ForegroundBackend, LocalBackend, ProcrastinateBackend):
            got = list(inspect.signature(getattr(backend, name)).parameters.items())
            assert [(k, p.kind, p.default) for k, p in got] == [
                (k, p.kind, p.default) for k, p in wanted
            ], (backend.__name__, name)
