"""Token care: rotation races, kills around the commit, sign-in, revoke."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest

from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.constantcontact.oauth import (
    authorization_url,
    exchange_code,
    new_pkce_verifier,
    revoke,
)
from ccsync.connectors.constantcontact.tokens import FileTokenStore
from ccsync.errors import ReconnectNeeded

from .ccemu import Emulator, connector_for, settings_for, signed_in_store

TOKEN = "POST /oauth2/default/v1/token"
HELPER = Path(__file__).with_name("refresher.py")
REDIRECT = "http://127.0.0.1:8765/oauth/callback"


def _helper(emu: Emulator, tmp_path: Path, mode: str, *extra: str) -> subprocess.Popen[str]:
    args = [emu.base_url, str(tmp_path / "tokens.json"), str(emu.limiter), mode]
    return subprocess.Popen(
        [sys.executable, str(HELPER), *args, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _assert_grant_alive(emu: Emulator, tmp_path: Path, store: FileTokenStore) -> None:
    """The stored refresh token still works: one more forced refresh succeeds."""
    cc = connector_for(emu, tmp_path / "check", store=store)
    try:
        current = store.load()
        assert current is not None
        fresh = cc.tokens.refresh(current)
        assert fresh.version == current.version + 1
        assert cc.account_identity()
    finally:
        cc.close()


def test_threads_racing_on_a_rotating_token_refresh_once(emu: Emulator, tmp_path: Path) -> None:
    """Two refreshers, one refresh; no invalid_grant; the stored pair stays alive."""
    store = signed_in_store(emu, tmp_path / "tokens.json", expired=True)
    connectors = [connector_for(emu, tmp_path, store=FileTokenStore(store.path)) for _ in range(2)]
    barrier, results, errors = threading.Barrier(2), [], []

    def work(cc: ConstantContactConnector) -> None:
        barrier.wait()
        try:
            results.append(cc.account_identity())
        except Exception as exc:  # the assertion below names it
            errors.append(exc)

    emu.clear_counters()
    threads = [threading.Thread(target=work, args=(cc,)) for cc in connectors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for cc in connectors:
        cc.close()
    assert errors == [] and len(results) == 2
    assert emu.endpoint_count(TOKEN) == 1
    assert sum(cc.tokens.refreshes for cc in connectors) == 1
    stored = store.load()
    assert stored is not None and stored.version == 2
    _assert_grant_alive(emu, tmp_path, store)


def test_processes_racing_on_a_rotating_token_refresh_once(emu: Emulator, tmp_path: Path) -> None:
    """Across processes: the refresh lock and CAS are shared through the token store."""
    store = signed_in_store(emu, tmp_path / "tokens.json", expired=True)
    sync_dir = tmp_path / "sync"
    sync_dir.mkdir()
    emu.clear_counters()
    procs = [_helper(emu, tmp_path, "refresh", str(sync_dir)) for _ in range(2)]
    while len(list(sync_dir.glob("ready-*"))) < 2 and all(p.poll() is None for p in procs):
        threading.Event().wait(0.01)  # both helpers are at the start line
    (sync_dir / "go").touch()
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    answers = [json.loads(out) for out, _ in outputs]
    assert sorted(a["refreshes"] for a in answers) == [0, 1]
    assert emu.endpoint_count(TOKEN) == 1
    _assert_grant_alive(emu, tmp_path, store)


def test_killed_after_commit_still_works_without_consent(emu: Emulator, tmp_path: Path) -> None:
    """Acceptance: killed right after the new pair is committed → the next process works."""
    store = signed_in_store(emu, tmp_path / "tokens.json", expired=True)
    before = store.load()
    proc = _helper(emu, tmp_path, "kill-after-commit")
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    after = store.load()
    assert after is not None and before is not None and after.version == before.version + 1
    cc = connector_for(emu, tmp_path, store=store)
    try:
        assert cc.account_identity()
    finally:
        cc.close()
    _assert_grant_alive(emu, tmp_path, store)


def test_killed_between_answer_and_commit_needs_reconnect(emu: Emulator, tmp_path: Path) -> None:
    """Acceptance: killed after the token answer, before the commit → "reconnect needed".

    The old refresh token was spent by the killed process and the new one died with it, so the
    next process gets ReconnectNeeded after exactly one token request (never a retry loop).
    """
    store = signed_in_store(emu, tmp_path / "tokens.json", expired=True)
    proc = _helper(emu, tmp_path, "kill-before-commit")
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    emu.clear_counters()
    cc = connector_for(emu, tmp_path, store=store)
    try:
        for _ in range(2):
            with pytest.raises(ReconnectNeeded):
                cc.account_identity()
    finally:
        cc.close()
    assert emu.endpoint_count(TOKEN) == 2  # one attempt per call
    assert emu.counters()["total"] == 2  # and no API call went out


def _sign_in(emu: Emulator, tmp_path: Path, pkce: str) -> FileTokenStore:
    settings = settings_for(emu, redirect_uri=REDIRECT, pkce=pkce)
    verifier = new_pkce_verifier() if pkce != "off" else None
    url = authorization_url(settings, "state-123", verifier)
    query = parse_qs(urlparse(url).query)
    assert ("code_challenge" in query) == (pkce != "off")
    answer = httpx2.get(url, follow_redirects=False)
    assert answer.status_code in (302, 303), answer.text
    back = parse_qs(urlparse(answer.headers["location"]).query)
    assert back["state"] == ["state-123"]
    store = FileTokenStore(tmp_path / "signin.json")
    tokens = exchange_code(settings, back["code"][0], verifier, store)
    assert tokens.version == 1 and tokens.refresh_token and "contact_data" in tokens.scope
    return store


@pytest.mark.parametrize("pkce", ["on", "off"])
def test_sign_in_then_revoke(emu: Emulator, tmp_path: Path, pkce: str) -> None:
    """Sign In: authorization code (with and without PKCE), then Revoke kills the grant."""
    store = _sign_in(emu, tmp_path, pkce)
    cc = connector_for(emu, tmp_path, store=store)
    try:
        assert cc.account_identity()
        old = store.load()
        assert old is not None
        assert revoke(cc.settings, store) is True
        assert store.load() is None
        store.swap(None, old)  # put the revoked pair back: CC must refuse it now
        with pytest.raises(ReconnectNeeded):
            cc.tokens.refresh(old)
    finally:
        cc.close()
