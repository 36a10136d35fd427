"""--state-file persistence across a restart, seeding, and what the emulator prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .driver import CC, start


def test_state_survives_a_restart(tmp: Path) -> None:
    """--state-file: contacts, lists and tokens survive a restart (SIGTERM then start)."""
    state_file = tmp / "cc-state.json"
    first = start(tmp, "--state-file", str(state_file), "--seed-contacts", "20")
    try:
        first.token = first.grant()["access_token"]
        refresh = first.grant()["refresh_token"]
        list_id = first.new_list("Kept")
        made = first.new_contact("kept@example.com", list_memberships=[list_id])
        before = first.contacts()
    finally:
        first.close()
    assert state_file.exists()
    second = start(
        tmp, "--state-file", str(state_file), "--profile", "pessimistic", "--order", "created"
    )
    try:
        config = second.ctl("GET", "/config")
        assert (config["profile"], config["order"], config["phone_format"]) == (
            "pessimistic",
            "created",
            "reformat",
        )
        second.token = first.token
        assert (
            second.ok("GET", f"/contacts/{made['contact_id']}")["email_address"]["address"]
            == "kept@example.com"
        )
        assert second.contacts() == before
        refreshed = second.token_request({"grant_type": "refresh_token", "refresh_token": refresh})
        assert refreshed.status_code == 200
        assert "password emulator-pass-1 (21 contacts)" in second.proc.log()
    finally:
        second.close()


def test_seed_is_deterministic_and_realistic(cc: CC) -> None:
    """--seed-contacts with --seed: the same seed gives the same contacts, with the brief's mix."""
    cc.ctl("POST", "/reset", {"seed_contacts": 400, "seed": 7})
    first = cc.contacts()
    cc.ctl("POST", "/reset", {"seed_contacts": 400, "seed": 7})
    again = cc.contacts()
    assert [c["contact_id"] for c in first] == [c["contact_id"] for c in again]
    assert [c["email_address"]["address"] for c in first] == [
        c["email_address"]["address"] for c in again
    ]
    sources = {c["email_address"].get("opt_out_source") for c in first}
    assert {"Contact", "Account"} <= sources
    deleted = sum(1 for c in first if c.get("deleted_at"))
    unsub = sum(1 for c in first if c["email_address"]["permission_to_send"] == "unsubscribed")
    assert 4 <= deleted <= 25 and 8 <= unsub <= 35
    assert any(not c["first_name"].isascii() for c in first)
    assert all(c["custom_fields"] for c in first) and any(c["phone_numbers"] for c in first)


def test_announce_lists_urls_and_logins(cc_module: CC) -> None:
    """The emulator prints its base URL, the OAuth URLs and every owner login when ready."""
    log = cc_module.proc.log()
    for piece in (
        "/oauth2/default/v1/authorize",
        "/oauth2/default/v1/token",
        "/oauth2/default/v1/revoke",
        cc_module.url,
    ):
        assert piece in log
    for account in cc_module.ctl("GET", "/accounts"):
        assert f"login {account['login']} password {account['password']}" in log


def test_bad_flag_values_and_state_files_are_refused(tmp: Path) -> None:
    """The command refuses a bad flag value or an unreadable state file with a usage error."""
    argv = [sys.executable, "-m", "ccsync", "emulate", "constant-contact", "--order", "sideways"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "order must be one of created, updated, random" in done.stderr + done.stdout
    broken = tmp / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    argv[-2:] = ["--state-file", str(broken)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "cannot read the state file" in done.stderr + done.stdout
