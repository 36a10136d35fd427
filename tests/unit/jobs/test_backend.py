"""ForegroundBackend: a click while a run is going is told so and queues at most one more run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ccsync.engine.result import RunResult
from ccsync.jobs.backend import ForegroundBackend
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
