"""Token store CAS, the daily budget, change-read state, PUT bodies, settings, limiter rates."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pyrate_limiter import Rate

from ccsync.connectors.constantcontact.budget import MemoryDailyBudget, SqliteDailyBudget
from ccsync.connectors.constantcontact.changes import ReadState
from ccsync.connectors.constantcontact.limiter import api_rate
from ccsync.connectors.constantcontact.records import fingerprint, put_body, status_of
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.constantcontact.tokens import FileTokenStore, TokenSet

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _tokens(n: int) -> TokenSet:
    return TokenSet(f"access-{n}", f"refresh-{n}", NOW + timedelta(hours=24), "contact_data")


def test_swap_is_compare_and_swap(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "t.json")
    assert store.load() is None
    first = store.swap(None, _tokens(1))
    assert first is not None and first.version == 1
    assert store.swap(None, _tokens(2)) is None  # stale writer loses
    second = store.swap(1, _tokens(2))
    assert second is not None and second.version == 2
    assert store.swap(1, _tokens(3)) is None
    loaded = store.load()
    assert loaded is not None and loaded.refresh_token == "refresh-2" and loaded.version == 2
    store.clear()
    assert store.load() is None


def test_secrets_stay_out_of_reprs(tmp_path: Path) -> None:
    tokens = _tokens(7)
    assert "access-7" not in repr(tokens) and "refresh-7" not in repr(tokens)
    settings = CCSettings(client_id="cid", client_secret="s3cret-value")
    assert "s3cret-value" not in repr(settings)


def test_sqlite_budget_counts_per_utc_day_across_threads(tmp_path: Path) -> None:
    budget = SqliteDailyBudget(tmp_path / "budget.sqlite")
    day = date(2026, 11, 26)

    def spend() -> None:
        for _ in range(25):
            budget.spend("cid", day)

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert budget.spent("cid", day) == 100
    assert budget.spent("cid", day + timedelta(days=1)) == 0
    assert budget.spend("other", day, 3) == 3
    assert SqliteDailyBudget(tmp_path / "budget.sqlite").spent("cid", day) == 100
    memory = MemoryDailyBudget()
    assert memory.spend("cid", day, 2) == 2 and memory.spent("cid", day) == 2


def _contact(cid: str, updated: str, permission: str = "implicit") -> dict[str, object]:
    return {
        "contact_id": cid,
        "updated_at": updated,
        "email_address": {"address": f"{cid}@example.com", "permission_to_send": permission},
    }


def test_read_state_dedupes_versions_and_prunes_outside_the_window() -> None:
    state = ReadState()
    old = _contact("a", "2026-11-26T10:00:00Z")
    recent = _contact("b", "2026-11-26T11:58:00Z")
    for c in (old, recent):
        assert state.is_new(c)
        state.remember(c)
    assert not state.is_new(recent)
    # an unsubscribe that did not bump updated_at is still a new version
    assert state.is_new(_contact("b", "2026-11-26T11:58:00Z", "unsubscribed"))
    state.advance(NOW, timedelta(minutes=5))
    decoded = ReadState.decode(state.encode())
    assert decoded.watermark == NOW
    assert set(decoded.seen) == {"b"}
    assert ReadState.decode("not json").watermark is None
    assert ReadState.decode(None).watermark is None


def test_fingerprint_and_status() -> None:
    deleted = {**_contact("d", "2026-01-01T00:00:00Z"), "deleted_at": "2026-02-01"}
    assert status_of(deleted) == "deleted"
    assert status_of(_contact("u", "x", "unsubscribed")) == "unsubscribed"
    assert fingerprint(deleted) != fingerprint(_contact("d", "2026-01-01T00:00:00Z"))


def test_put_body_keeps_everything_and_consent() -> None:
    current = {
        "contact_id": "c1",
        "email_address": {"address": "a@example.com", "permission_to_send": "unsubscribed",
                          "opt_out_source": "Contact"},
        "first_name": "Ann", "last_name": "Lee", "job_title": "CEO", "updated_at": "x",
        "phone_numbers": [{"phone_number_id": "p", "phone_number": "+1 555", "kind": "home"}],
        "street_addresses": [{"street_address_id": "s", "kind": "home", "city": "Oslo"}],
        "custom_fields": [{"custom_field_id": "f", "value": "v"}],
        "list_memberships": ["l1"],
    }  # fmt: skip
    body = put_body(current, {"first_name": "Anna", "email_address": {"address": "b@example.com"}})
    assert body == {
        "email_address": {"address": "b@example.com", "permission_to_send": "unsubscribed"},
        "first_name": "Anna", "last_name": "Lee", "job_title": "CEO",
        "phone_numbers": [{"phone_number": "+1 555", "kind": "home"}],
        "street_addresses": [{"kind": "home", "city": "Oslo"}],
        "custom_fields": [{"custom_field_id": "f", "value": "v"}],
        "list_memberships": ["l1"], "update_source": "Account",
    }  # fmt: skip


def test_settings_defaults() -> None:
    s = CCSettings.for_base_url("http://127.0.0.1:5000/", "cid", "sec")
    assert s.revoke_endpoint() == "http://127.0.0.1:5000/oauth2/default/v1/revoke"
    assert s.api_origin == "http://127.0.0.1:5000"
    assert CCSettings("cid", token_url="https://x/oauth").revoke_endpoint() is None
    assert CCSettings("cid", revoke_url="https://x/r").revoke_endpoint() == "https://x/r"
    assert CCSettings("cid", pkce="off").uses_pkce is False


def test_api_rate_caps_burst_and_mean() -> None:
    rate = api_rate(3.8)
    assert rate.limit == 4 and rate.interval == 1053
    assert (api_rate(4.0).limit, api_rate(4.0).interval) == (4, 1000)
    assert isinstance(rate, Rate)


def test_an_import_gap_and_pending_ids_survive_encoding_until_the_look_back_passes_them() -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    state = ReadState(watermark=start)
    state.gap = (start - timedelta(minutes=10), start + timedelta(seconds=40))
    state.pending = ["c-during"]

    again = ReadState.decode(state.encode())
    assert again.gap == state.gap and again.pending == ["c-during"]
    overlap = timedelta(seconds=300)
    again.advance(start + timedelta(seconds=60), overlap)
    assert again.gap is not None, "the next look-back still covers the import"
    again.advance(start + timedelta(seconds=341), overlap)
    assert again.gap is None
    assert "gap" not in json.loads(again.encode())
