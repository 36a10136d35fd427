""" "Needs attention": held actions (Discard), dead letters (retry now), ambiguous duplicates."""

from __future__ import annotations

from starlette.testclient import TestClient

from ccsync.store.repos.held import add_attention, add_held, list_held
from ccsync.store.repos.retry import MAX_ATTEMPTS, list_retries, record_failure
from ccsync.store.repos.rows import HeldWrite

from .conftest import WebEnv, csrf


def _seed(env: WebEnv, cid: int) -> int:
    with env.ctx.sessions.begin() as session:
        add_held(session, cid, [HeldWrite("cc", "delete", crm_id="12x7", cc_id="c-7",
                                          payload={"name": "Held Person"})])  # fmt: skip
        add_attention(session, cid, kind="ambiguous_crm_duplicates", email="twin@example.com",
                      candidates=["12x21", "12x22"])  # fmt: skip
        for _ in range(MAX_ATTEMPTS):
            entry = record_failure(session, cid, side="cc", source_side="crm", record_id="12x9",
                                   error="CC answered 500")  # fmt: skip
        assert entry.dead
        return entry.id


def test_the_lists_show_what_waits_for_a_person(admin_client: TestClient, env: WebEnv) -> None:
    cid = env.admin_connector
    _seed(env, cid)
    page = admin_client.get(f"/connectors/{cid}/operations").text
    assert "Held by the circuit breaker (1)" in page and "c-7" in page
    assert "Dead letters (1)" in page and "CC answered 500" in page
    assert "twin@example.com" in page and page.count("Link this one") == 2
    api = admin_client.get(f"/api/connectors/{cid}/attention").json()
    assert api[0]["candidates"] == ["12x21", "12x22"]
    assert admin_client.get(f"/api/connectors/{cid}/held").json()[0]["cc_id"] == "c-7"


def test_retry_now_revives_a_dead_letter(admin_client: TestClient, env: WebEnv) -> None:
    cid = env.admin_connector
    entry = _seed(env, cid)
    token = csrf(admin_client)
    answer = admin_client.post(f"/connectors/{cid}/dead/{entry}/retry", data={"csrftoken": token})
    assert answer.status_code == 303
    with env.ctx.sessions() as session:
        assert list_retries(session, cid, dead=True) == []
        assert [e.attempts for e in list_retries(session, cid, dead=False)] == [0]
    missing = admin_client.post(f"/connectors/{cid}/dead/9999/retry", data={"csrftoken": token})
    assert missing.status_code == 404


def test_discard_keeps_the_pairs_and_empties_the_held_list(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    _seed(env, cid)
    admin_client.post(f"/connectors/{cid}/held/discard", data={"csrftoken": csrf(admin_client)})
    assert "Held actions discarded" in admin_client.get(f"/connectors/{cid}/operations").text
    with env.ctx.sessions() as session:
        assert list_held(session, cid) == []


def test_link_this_one_refuses_a_record_that_is_not_a_candidate(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    _seed(env, cid)
    item = admin_client.get(f"/api/connectors/{cid}/attention").json()[0]["id"]
    token = csrf(admin_client)
    admin_client.post(
        f"/connectors/{cid}/attention/{item}/link", data={"crm_id": "12x99", "csrftoken": token}
    )
    assert "not one of the candidates" in admin_client.get(f"/connectors/{cid}/operations").text
    gone = admin_client.post(
        f"/connectors/{cid}/attention/9999/link", data={"crm_id": "12x21", "csrftoken": token}
    )
    assert gone.status_code == 404


def test_the_sync_window_says_how_many_actions_are_held(
    admin_client: TestClient, env: WebEnv
) -> None:
    _seed(env, env.admin_connector)
    page = admin_client.get("/").text
    assert "1 delete held — review" in page


def test_a_pending_refused_email_change_is_listed(admin_client: TestClient, env: WebEnv) -> None:
    from ccsync.store.repos.links import iter_links, mark_pending, upsert_links
    from ccsync.store.repos.rows import LinkWrite

    cid = env.admin_connector
    with env.ctx.sessions.begin() as session:
        snap = {"email": "pat@example.com"}
        upsert_links(session, cid, [LinkWrite("12x5", "c-5", snap, snap)])
        link = next(iter_links(session, cid))
        assert mark_pending(session, cid, [link.id], "cc_email_in_use") == 1
    page = admin_client.get(f"/connectors/{cid}/operations").text
    assert "Pending changes (1)" in page and "cc_email_in_use" in page and "c-5" in page


def test_an_ambiguous_case_names_each_candidate_with_its_email_and_record(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    candidates = [
        {"crm_id": "12x21", "name": "Ólafur Núñez", "email": "olafur@example.com", "cc_id": "c-1"},
        {"crm_id": "12x22", "name": "Oli Nunez", "email": "Olafur@Example.com", "cc_id": "c-1"},
    ]
    with env.ctx.sessions.begin() as session:
        add_attention(session, cid, kind="ambiguous_crm_duplicates", email="olafur@example.com",
                      candidates=candidates)  # fmt: skip
    page = admin_client.get(f"/connectors/{cid}/operations").text
    assert page.count("olafur@example.com belongs to") == 0  # the address is in <strong>
    assert page.count("<strong>olafur@example.com</strong>") == 1, "each case once"
    for name, email, record in (
        ("Ólafur Núñez", "olafur@example.com", "21"),
        ("Oli Nunez", "Olafur@Example.com", "22"),
    ):
        assert f"<td>{name}</td><td>{email}</td>" in page
        assert f"module=Contacts&amp;view=Detail&amp;record={record}" in page
    assert 'aria-label="Link Oli Nunez"' in page
