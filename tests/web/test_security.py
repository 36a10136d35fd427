"""Issue 10: sessions, throttling, audit, body limit, headers, origin, URLs, redirects, metrics."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import update
from starlette.testclient import TestClient
from typer.testing import CliRunner

from ccsync.cli import app as cli
from ccsync.engine.config import settings_patch
from ccsync.settings import get_settings
from ccsync.store.models import WebSession, utcnow
from ccsync.store.repos.connectors import update_connector_settings
from ccsync.store.repos.held import add_held
from ccsync.store.repos.rows import HeldWrite
from ccsync.web.app import create_app
from ccsync.web.throttle import HashingGate, LoginThrottle

from .conftest import ADMIN, USER, WebEnv, csrf, login
from .test_log_pages import _record_run

TEMPLATES = Path(__file__).parents[2] / "src" / "ccsync" / "web" / "templates"


def _client(env: WebEnv, who: tuple[str, str] | None = None) -> TestClient:
    client = TestClient(env.app, follow_redirects=False)
    if who is not None:
        login(client, *who)
    return client


def _signed_in(client: TestClient) -> bool:
    return client.get("/api/me").status_code == 200


# --- item 4: held actions and dead letters wait for an admin ---------------------------------


def test_a_standard_user_cannot_confirm_held_actions_of_their_own_connector(
    user_client: TestClient, env: WebEnv
) -> None:
    with env.ctx.sessions.begin() as session:
        add_held(session, env.user_connector, [HeldWrite("cc", "delete", "12x1", "c-1")])
    token = csrf(user_client)
    cid = env.user_connector
    for path in ("held/confirm", "held/discard"):
        api = user_client.post(f"/api/connectors/{cid}/{path}", headers={"x-csrftoken": token})
        assert api.status_code == 403, path
        page = user_client.post(f"/connectors/{cid}/{path}", data={"csrftoken": token})
        assert page.status_code == 403, path
    assert "Confirm</button>" not in user_client.get(f"/connectors/{cid}/operations").text
    assert len(user_client.get(f"/api/connectors/{cid}/held").json()) == 1  # still held


# --- item 2: server-side sessions ------------------------------------------------------------


def test_sign_out_ends_the_session_for_a_copied_cookie_too(env: WebEnv) -> None:
    with _client(env, USER) as browser, _client(env) as thief:
        thief.cookies.update(dict(browser.cookies))
        assert _signed_in(thief)
        browser.post("/logout", data={"csrftoken": csrf(browser)})
        assert not _signed_in(thief)
        assert thief.get("/").headers["location"] == "/login?next=/"


def test_a_password_change_ends_the_users_other_sessions(env: WebEnv) -> None:
    with _client(env, USER) as here, _client(env, USER) as elsewhere:
        new = "a-brand-new-password"
        data = {"current": USER[1], "new": new, "confirm": new, "csrftoken": csrf(here)}
        assert here.post("/password", data=data).status_code == 303
        assert _signed_in(here)
        assert not _signed_in(elsewhere)


def test_an_admin_ends_a_users_sessions_in_the_ui(env: WebEnv) -> None:
    with _client(env, ADMIN) as admin, _client(env, USER) as joe:
        page = admin.get("/admin/users").text
        assert f"/admin/users/{env.user_id}/sessions/end" in page
        answer = admin.post(
            f"/admin/users/{env.user_id}/sessions/end", data={"csrftoken": csrf(admin)}
        )
        assert answer.status_code == 303
        assert not _signed_in(joe) and _signed_in(admin)
        assert "1 session(s) ended" in admin.get("/admin/users").text


def test_an_admin_ends_a_users_sessions_from_the_cli(
    env: WebEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCSYNC_DATA_DIR", str(env.ctx.settings.data_dir))
    with _client(env, USER) as joe:
        result = CliRunner().invoke(cli, ["user", "end-sessions", USER[0]])
        assert result.exit_code == 0, result.output
        assert "1 session(s) ended" in result.output
        assert not _signed_in(joe)
    assert CliRunner().invoke(cli, ["user", "end-sessions", "nobody"]).exit_code == 1


@pytest.mark.parametrize("column", ["last_seen_at", "expires_at"])
def test_idle_and_expired_sessions_end(env: WebEnv, column: str) -> None:
    with _client(env, USER) as joe:
        assert _signed_in(joe)
        # Older than the idle timeout (8 h by default) or past the lifetime.
        stamp = utcnow() - timedelta(minutes=env.ctx.settings.session_idle_minutes + 1)
        with env.ctx.sessions.begin() as session:
            session.execute(update(WebSession).values({column: stamp}))
        assert not _signed_in(joe)


def test_the_session_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCSYNC_SESSION_LIFETIME_HOURS", "12")
    monkeypatch.setenv("CCSYNC_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("CCSYNC_MAX_BODY_BYTES", "4096")
    settings = get_settings(data_dir=tmp_path)
    assert settings.session_lifetime_hours == 12 and settings.session_idle_minutes == 30
    assert settings.max_body_bytes == 4096


# --- item 3: throttling, hashing cap, audit log ----------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _try(client: TestClient, username: str, password: str) -> tuple[int, str, str | None]:
    data = {"username": username, "password": password, "csrftoken": csrf(client)}
    answer = client.post("/login", data=data)
    return answer.status_code, answer.text, answer.headers.get("retry-after")


def test_a_run_of_wrong_passwords_meets_a_429(env: WebEnv) -> None:
    # The report: 100 wrong passwords in a row, no 429. With the default settings the sixth
    # wrong password within a second is refused (later ones wait 2, 4, 8... seconds).
    with _client(env) as client:
        statuses = [_try(client, USER[0], "wrong")[0] for _ in range(10)]
    assert statuses[:5] == [401] * 5
    assert 429 in statuses


def test_wrong_passwords_back_off_exponentially_per_account(env: WebEnv) -> None:
    clock = FakeClock()
    env.ctx.throttle = LoginThrottle(free=5, max_wait=900, clock=clock)
    with _client(env) as client:
        for _ in range(5):
            assert _try(client, USER[0], "wrong")[0] == 401
        status, text, retry = _try(client, USER[0], USER[1])  # even the right one waits
        assert status == 429 and retry == "1"
        assert "Too many failed sign-ins. Wait 1 seconds" in text
        clock.now += 1
        assert _try(client, USER[0], "wrong")[0] == 401
        status, _, retry = _try(client, USER[0], "wrong")
        assert status == 429 and retry == "2"  # doubled
        clock.now += 2
        assert _try(client, USER[0], USER[1])[0] == 303  # success clears the count
        assert _try(client, USER[0], "wrong")[0] == 401


def test_the_client_address_is_throttled_across_accounts(env: WebEnv) -> None:
    env.ctx.throttle = LoginThrottle(free=3, max_wait=900, clock=FakeClock())
    with _client(env) as client:
        for name in ("a1", "a2", "a3"):
            assert _try(client, name, "wrong")[0] == 401
        assert _try(client, ADMIN[0], ADMIN[1])[0] == 429


def test_excess_parallel_password_checks_are_refused_at_once(env: WebEnv) -> None:
    env.ctx.hashing = HashingGate(1)
    with _client(env) as client, env.ctx.hashing.slot():
        status, text, retry = _try(client, USER[0], USER[1])
    assert status == 503 and retry == "1"
    assert "busy with other sign-ins" in text


def test_the_audit_log_records_sign_ins_settings_and_held_confirmations(env: WebEnv) -> None:
    with _client(env) as anon:
        _try(anon, USER[0], "wrong-password")
    with _client(env, ADMIN) as admin:
        with env.ctx.sessions.begin() as session:
            add_held(session, env.admin_connector, [HeldWrite("cc", "delete", "12x1", "c-1")])
        token = csrf(admin)
        cid = env.admin_connector
        admin.post(f"/connectors/{cid}/held/discard", data={"csrftoken": token})
        admin.put(
            f"/api/connectors/{cid}/settings", json={"frequency": "off"},
            headers={"x-csrftoken": token},
        )  # fmt: skip
        admin.post(f"/admin/users/{env.user_id}/sessions/end", data={"csrftoken": token})
        events = admin.get("/api/audit").json()
        actions = [(e["action"], e["actor"]) for e in events]
        for expected in [
            ("login_failed", USER[0]),
            ("login", ADMIN[0]),
            ("held_discarded", ADMIN[0]),
            ("sync_settings_saved", ADMIN[0]),
            ("sessions_ended", ADMIN[0]),
        ]:
            assert expected in actions
        assert all(e["client"] for e in events)
        page = admin.get("/admin/audit").text
        assert "login_failed" in page and "held_discarded" in page
        assert "wrong-password" not in page and "wrong-password" not in str(events)
    with _client(env, USER) as joe:
        assert joe.get("/api/audit").status_code == 403
        assert joe.get("/admin/audit").status_code == 403


# --- items 5 and 12: body limit --------------------------------------------------------------


def test_an_anonymous_huge_login_is_refused_before_it_is_read(env: WebEnv) -> None:
    with _client(env) as client:
        answer = client.post("/login", content=b"a" * (3 * 1024 * 1024))
        assert answer.status_code == 413
        assert "too large: the limit is 2 MB" in answer.text


def test_a_streamed_body_without_length_is_cut_at_the_limit(env: WebEnv) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * (128 * 1024)

    with _client(env, ADMIN) as client:
        answer = client.put(
            f"/api/connectors/{env.admin_connector}/settings",
            content=chunks(),
            headers={"x-csrftoken": csrf(client), "content-type": "application/json"},
        )
        assert answer.status_code == 413
        assert "too large" in answer.json()["detail"]


def test_a_form_over_one_megabyte_is_not_a_csrf_failure(user_client: TestClient) -> None:
    pads = {f"pad{i}": "x" * 500_000 for i in range(3)}  # 1.5 MB (one field may hold 1 MB)
    data = {"timezone": "Europe/Paris", **pads, "csrftoken": csrf(user_client)}
    answer = user_client.post("/profile", data=data)
    assert answer.status_code == 303, answer.text
    big = {**data, "pad3": "x" * 900_000}
    answer = user_client.post("/profile", data=big)
    assert answer.status_code == 413 and "CSRF" not in answer.text


# --- item 6: only http(s) record links -------------------------------------------------------


def test_a_javascript_record_url_is_refused_and_never_rendered(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    evil = "javascript:alert(document.domain)//{cc_id}"
    token = csrf(admin_client)
    api = admin_client.put(
        f"/api/connectors/{cid}/settings", json={"cc_record_url": evil},
        headers={"x-csrftoken": token},
    )  # fmt: skip
    assert api.status_code == 422 and "http:// or https://" in api.text
    form = admin_client.post(
        f"/connectors/{cid}/settings",
        data={"cc_record_url": evil, "frequency": "off", "csrftoken": token},
    )
    assert form.status_code == 400 and "http:// or https://" in form.text
    # Defence in depth: a template stored some other way still makes no link.
    with env.ctx.sessions.begin() as session:
        update_connector_settings(session, cid, settings_patch(cc_contact_url=evil))
    run_id = _record_run(env, cid)
    page = admin_client.get(f"/connectors/{cid}/runs/{run_id}/items?side=cc&action=created")
    assert page.status_code == 200 and "javascript:" not in page.text


# --- items 9, 10, 11: metrics, API document, headers, origin, CSRF, redirects ----------------


def test_metrics_need_the_bearer_token(env: WebEnv) -> None:
    with _client(env) as client:
        assert client.get("/metrics").status_code == 404  # off without a token
        env.ctx.settings.metrics_token = SecretStr("scrape-me-123")
        assert client.get("/metrics").status_code == 401
        wrong = {"authorization": "Bearer nope"}
        assert client.get("/metrics", headers=wrong).status_code == 401
        right = client.get("/metrics", headers={"authorization": "Bearer scrape-me-123"})
        assert right.status_code == 200 and "ccsync_runs_total" in right.text
        assert client.get("/healthz").status_code == 200


def test_the_api_document_is_for_signed_in_users_and_there_is_no_cdn_swagger(
    env: WebEnv,
) -> None:
    with _client(env) as anon:
        assert anon.get("/api/openapi.json").status_code == 401
        assert anon.get("/api/docs").status_code in (401, 404)
    with _client(env, USER) as joe:
        assert "paths" in joe.get("/api/openapi.json").json()
        assert joe.get("/api/docs").status_code == 404


def test_every_answer_carries_the_security_headers(env: WebEnv) -> None:
    with _client(env) as client:
        for path in ("/login", "/api/me", "/static/app.css", "/healthz"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp, path
            assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
            assert headers["x-frame-options"] == "DENY"
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"


def test_templates_have_no_inline_scripts_or_handlers() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name


def test_a_cross_origin_post_is_refused(user_client: TestClient, env: WebEnv) -> None:
    path = f"/connectors/{env.user_connector}/sync"
    data = {"csrftoken": csrf(user_client)}
    evil = user_client.post(path, data=data, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403 and "Cross-origin" in evil.text
    referer = user_client.post(path, data=data, headers={"referer": "https://evil.example/x"})
    assert referer.status_code == 403
    ours = user_client.post(path, data=data, headers={"origin": "http://127.0.0.1:8765"})
    assert ours.status_code == 303
    assert user_client.post(path, data=data, headers={"origin": "null"}).status_code == 403


def test_the_csrf_token_is_tied_to_the_session(env: WebEnv) -> None:
    with _client(env) as attacker, _client(env, USER) as victim:
        planted = csrf(attacker)  # a validly signed token, but not the victim's
        victim.cookies.delete("csrftoken")
        victim.cookies.set("csrftoken", planted)
        assert victim.cookies["csrftoken"] == planted
        answer = victim.post(f"/connectors/{env.user_connector}/sync", data={"csrftoken": planted})
        assert answer.status_code == 403


def test_the_csrf_cookie_is_secure_under_an_https_base_url(tmp_path: Path) -> None:
    settings = get_settings(data_dir=tmp_path, base_url="https://ccsync.example")
    with TestClient(create_app(settings, scheduler=False), base_url="https://testserver") as c:
        cookie = c.get("/login").headers["set-cookie"]
        assert cookie.startswith("csrftoken=") and "Secure" in cookie


def test_sync_now_never_redirects_off_site(user_client: TestClient, env: WebEnv) -> None:
    path = f"/connectors/{env.user_connector}/sync"
    data = {"csrftoken": csrf(user_client)}
    # The Origin is ours (so the origin check passes); the Referer names another site.
    for referer in ("https://evil.example/phish", "//evil.example/x", "javascript:alert(1)"):
        headers = {"origin": "http://127.0.0.1:8765", "referer": referer}
        answer = user_client.post(path, data=data, headers=headers)
        assert answer.headers["location"] == "/", referer
    back = f"http://127.0.0.1:8765/connectors/{env.user_connector}/log?run=1"
    answer = user_client.post(path, data=data, headers={"referer": back})
    assert answer.headers["location"] == f"/connectors/{env.user_connector}/log?run=1"


def test_housekeeping_deletes_ended_sessions(env: WebEnv) -> None:
    from ccsync.web.app import _housekeeping

    with _client(env, USER), _client(env, ADMIN):
        old = utcnow() - timedelta(days=30)
        with env.ctx.sessions.begin() as session:
            session.execute(update(WebSession).values(last_seen_at=old, expires_at=old))
        _housekeeping(env.ctx.settings, env.ctx.sessions)
        with env.ctx.sessions() as session:
            assert session.query(WebSession).count() == 0


def test_pages_link_the_apps_svg_favicon(env: WebEnv) -> None:
    """Issue 11 item 10: a favicon of the app's own (no data: placeholder), served from /static."""
    with TestClient(env.app) as client:
        page = client.get("/login").text
        assert 'rel="icon" type="image/svg+xml"' in page and "/static/favicon.svg" in page
        icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")
