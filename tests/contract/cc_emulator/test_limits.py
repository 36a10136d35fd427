"""Rate limits (§5.1), counters and fault injection, driven through the emulator clock."""

from __future__ import annotations

from .driver import CC

THROTTLED = {"error_key": "throttled", "error_message": "Too Many Requests"}
QUOTA = {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}


def test_sliding_one_second_window(cc: CC) -> None:
    """§5.1: 4 requests in any 1-second window; the 5th is 429 throttled, without headers."""
    cc.clock(freeze=True)
    cc.config(rate_limit=4)
    assert [cc.api("GET", "/contacts").status_code for _ in range(4)] == [200] * 4
    cc.clock(advance=0.6)
    throttled = cc.api("GET", "/contacts")
    assert throttled.status_code == 429 and throttled.json() == THROTTLED
    assert not any(h.lower().startswith(("x-rate", "retry-after")) for h in throttled.headers)
    assert cc.api("GET", "/contacts").status_code == 429
    cc.clock(advance=0.41)
    assert cc.api("GET", "/contacts").status_code == 200
    cc.clock(advance=0.5)  # sliding: the window (0.51, 1.51] holds the one call at t=1.01
    assert [cc.api("GET", "/contacts").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_limit_is_per_application_across_accounts_and_control_is_exempt(cc: CC) -> None:
    """§5.1: the limit belongs to the API key, shared by every account's tokens."""
    cc.clock(freeze=True)
    cc.config(rate_limit=2)
    other = cc.grant(account=2)["access_token"]
    assert cc.api("GET", "/contacts").status_code == 200
    assert cc.api("GET", "/contacts", token=other).status_code == 200
    assert cc.api("GET", "/contacts", token=other).status_code == 429
    assert cc.http.get("/_emulator/health").status_code == 200
    counts = cc.ctl("GET", "/counters")
    assert counts["by_endpoint"]["GET /v3/contacts"] == 3


def test_counters_by_key_show_admitted_throttled_and_the_peak_second(cc: CC) -> None:
    """Control API: per application, calls admitted and refused and the busiest second."""
    cc.clock(freeze=True)
    cc.config(rate_limit=2)
    codes = [cc.api("GET", "/contacts").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    cc.clock(advance=1.5)
    assert cc.api("GET", "/contacts").status_code == 200
    by_key = cc.ctl("GET", "/counters")["by_key"]
    assert list(by_key.values()) == [
        {"admitted": 3, "throttled": 1, "quota_exceeded": 0, "peak_per_second": 2}
    ]
    assert cc.ctl("DELETE", "/counters")["by_key"] == {}


def test_daily_quota_resets_at_utc_midnight(cc: CC) -> None:
    """§5.1: the daily quota counts per UTC calendar day and resets at 00:00 UTC."""
    cc.clock(set="2026-03-01T23:59:50+00:00", freeze=True)
    cc.config(daily_quota=3)
    assert [cc.api("GET", "/contacts").status_code for _ in range(3)] == [200] * 3
    exceeded = cc.api("GET", "/contacts")
    assert exceeded.status_code == 429 and exceeded.json() == QUOTA
    cc.clock(advance=9)
    assert cc.api("GET", "/contacts").status_code == 429
    cc.clock(advance=2)
    assert cc.api("GET", "/contacts").status_code == 200


def test_counters_by_endpoint_template(cc: CC) -> None:
    """Control API: counters per ``METHOD /path-template`` for /v3 and /oauth2, reset by DELETE."""
    cid = cc.new_contact("count@example.com")["contact_id"]
    cc.api("GET", f"/contacts/{cid}")
    cc.api("GET", f"/contacts/{cid}")
    cc.token_request({"grant_type": "refresh_token", "refresh_token": "nope"})
    counts = cc.ctl("GET", "/counters")
    assert counts["by_endpoint"] == {
        "POST /v3/contacts": 1,
        "GET /v3/contacts/{contact_id}": 2,
        "POST /oauth2/default/v1/token": 1,
    }
    assert counts["total"] == 4
    assert cc.ctl("DELETE", "/counters")["total"] == 0


def test_fault_rules_fire_and_clear(cc: CC) -> None:
    """Control API: fault rules answer instead of the API (counted), then stop."""
    rule = {"status": 503, "body": {"error": "down"}, "count": 2, "path_prefix": "/v3/contacts"}
    cc.ctl("POST", "/faults", {"rules": [rule], "seed": 1})
    assert [cc.api("GET", "/contacts").status_code for _ in range(3)] == [503, 503, 200]
    cc.ctl("POST", "/faults", {"rules": [{"status": 500, "probability": 1.0}]})
    assert cc.api("GET", "/contact_lists").status_code == 500
    assert cc.http.get("/_emulator/health").status_code == 200
    cc.ctl("DELETE", "/faults")
    assert cc.api("GET", "/contact_lists").status_code == 200
    assert cc.ctl("GET", "/counters")["by_endpoint"]["GET /v3/contacts"] == 3


def test_runtime_config_round_trip_and_refusals(cc: CC) -> None:
    """Control API: settings change at run time; unknown keys and values are refused."""
    changed = cc.config(profile="pessimistic", order="created")
    assert changed["profile"] == "pessimistic" and changed["order"] == "created"
    assert changed["delete_bumps_updated"] is False and "client_secret" not in changed
    assert cc.http.post("/_emulator/config", json={"order": "sideways"}).status_code == 400
    assert cc.http.post("/_emulator/config", json={"no_such": 1}).status_code == 400
