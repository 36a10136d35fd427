"""Fault kinds the state machine needs: "applied but answer lost" and a held request."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx2
import pytest

from .driver import CC

NEW = {"email_address": {"address": "lost@example.com"}, "create_source": "Account"}


def test_lost_applies_the_request_then_drops_the_answer(cc: CC) -> None:
    """``lost``: the contact is created, the client sees a broken connection, not an answer."""
    rule = {"kind": "lost", "count": 1, "method": "POST", "path_prefix": "/v3/contacts"}
    cc.ctl("POST", "/faults", {"rules": [rule]})
    with pytest.raises(httpx2.TransportError):
        cc.api("POST", "/contacts", NEW)
    assert [c["email_address"]["address"] for c in cc.contacts()] == ["lost@example.com"]
    assert cc.ctl("GET", "/faults")["rules"][0]["fired"] == 1
    again = cc.api("POST", "/contacts", NEW)
    assert again.status_code == 409, again.text


def test_skip_lets_requests_through_before_the_rule_fires(cc: CC) -> None:
    """``skip``: the first matching requests pass, the next one is faulted."""
    rule = {"status": 503, "count": 1, "skip": 2, "path_prefix": "/v3/contact_lists"}
    cc.ctl("POST", "/faults", {"rules": [rule]})
    codes = [cc.api("GET", "/contact_lists").status_code for _ in range(4)]
    assert codes == [200, 200, 503, 200]


@pytest.mark.parametrize("apply", [True, False])
def test_hold_keeps_a_killed_client_waiting(cc: CC, apply: bool) -> None:
    """``hold``: no answer while the client waits (killed there); applied only with ``apply``."""
    rule = {"kind": "hold", "apply": apply, "count": 1, "method": "POST", "hold": 30}
    cc.ctl("POST", "/faults", {"rules": [rule]})
    code = (
        "import httpx2, json, sys; httpx2.post(sys.argv[1], json=json.loads(sys.argv[2]), "
        "headers={'Authorization': 'Bearer ' + sys.argv[3]}, timeout=60); print('answered')"
    )
    args = [sys.executable, "-c", code, f"{cc.url}/v3/contacts", json.dumps(NEW), cc.token]
    client = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    while cc.ctl("GET", "/faults")["rules"][0]["fired"] == 0:
        assert client.poll() is None, "the client ended before its request was held"
    assert client.poll() is None, "the held request was answered"
    client.kill()
    assert client.communicate(timeout=30)[0] == ""
    assert len(cc.contacts()) == (1 if apply else 0)
    assert cc.api("GET", "/contact_lists").status_code == 200
