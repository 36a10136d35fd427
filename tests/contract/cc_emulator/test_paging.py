"""§3.1 GET /contacts: cursor paging with filters, include_count, order and updated_after."""

from __future__ import annotations

import base64

from .driver import CC


def _walk(cc: CC, first: str) -> list[dict]:
    """Follow ``_links.next.href`` exactly as given until the last page."""
    seen: list[dict] = []
    href: str | None = "/v3" + first
    while href:
        assert href.startswith("/v3/contacts?cursor=") or not seen
        page = cc.ok("GET", href[3:])
        seen += page["contacts"]
        href = page.get("_links", {}).get("next", {}).get("href")
    return seen


def test_cursor_paging_keeps_filters(cc: CC) -> None:
    """§3.1: every page honours the first request's filters; the last page has no next link."""
    cc.reset(seed_contacts=230)
    everyone = cc.contacts()
    lists = cc.ok("GET", "/contact_lists")["lists"]
    list_id = lists[0]["list_id"]
    expected = {c["contact_id"] for c in everyone if list_id in c["list_memberships"]}
    got = _walk(cc, f"/contacts?lists={list_id}&limit=17&include=list_memberships")
    assert len(got) == len(expected) and {c["contact_id"] for c in got} == expected
    assert all(list_id in c["list_memberships"] for c in got)
    every = _walk(cc, "/contacts?status=all&limit=50")
    assert len(every) == len({c["contact_id"] for c in every}) == len(everyone) == 230
    first = cc.ok("GET", "/contacts?status=all&limit=500&include_count=true")
    assert first["contacts_count"] == 230 and "_links" not in first


def test_status_filters(cc: CC) -> None:
    """§3.1 and §4: default hides deleted; status=unsubscribed / deleted / all select by state."""
    cc.reset(seed_contacts=200)
    contacts = cc.contacts()
    deleted = {c["contact_id"] for c in contacts if c.get("deleted_at")}
    unsub = {
        c["contact_id"]
        for c in contacts
        if c["email_address"]["permission_to_send"] == "unsubscribed" and not c.get("deleted_at")
    }
    assert deleted and unsub
    default = {c["contact_id"] for c in _walk(cc, "/contacts?limit=500")}
    assert default == {c["contact_id"] for c in contacts} - deleted
    assert {c["contact_id"] for c in _walk(cc, "/contacts?status=deleted&limit=500")} == deleted
    assert {c["contact_id"] for c in _walk(cc, "/contacts?status=unsubscribed&limit=500")} == unsub
    active = {c["contact_id"] for c in _walk(cc, "/contacts?status=active&limit=500")}
    assert active == default - unsub


def test_updated_after_exclusive_or_inclusive(cc: CC) -> None:
    """§8 (unknown): updated_after is exclusive by default, inclusive when configured."""
    cc.clock(freeze=True)
    contact = cc.new_contact("edge@example.com")
    stamp = contact["updated_at"]
    assert cc.ok("GET", f"/contacts?updated_after={stamp}")["contacts"] == []
    cc.config(updated_after="inclusive")
    assert len(cc.ok("GET", f"/contacts?updated_after={stamp}")["contacts"]) == 1
    cc.clock(advance=5)
    cc.ok(
        "PUT",
        f"/contacts/{contact['contact_id']}",
        {"email_address": {"address": "edge@example.com"}, "update_source": "Account"},
    )
    later = cc.ok("GET", "/contacts?updated_after=" + stamp.replace("Z", "%2B00:00"))
    assert [c["contact_id"] for c in later["contacts"]] == [contact["contact_id"]]
    assert cc.ok("GET", f"/contacts?updated_before={stamp}")["contacts"] == []


def test_optout_and_created_ranges(cc: CC) -> None:
    """§3.1: optout_after finds new opt-outs even when updated_at does not move (pessimistic)."""
    cc.config(profile="pessimistic")
    cc.clock(freeze=True)
    a = cc.new_contact("a@example.com")
    cc.clock(advance=10)
    mark = cc.ctl("GET", "/clock")["now"]
    cc.clock(advance=1)
    b = cc.new_contact("b@example.com")
    cc.ctl("POST", f"/contacts/{a['contact_id']}/unsubscribe")
    optouts = cc.ok("GET", f"/contacts?status=all&optout_after={mark.replace('+', '%2B')}")[
        "contacts"
    ]
    assert [c["contact_id"] for c in optouts] == [a["contact_id"]]
    created = cc.ok("GET", f"/contacts?status=all&created_after={mark.replace('+', '%2B')}")[
        "contacts"
    ]
    assert [c["contact_id"] for c in created] == [b["contact_id"]]


def test_result_order_modes(cc: CC) -> None:
    """§8 (unknown): order by creation (default), by last update, or an arbitrary stable order."""
    cc.clock(freeze=True)
    ids = []
    for i in range(12):
        ids.append(cc.new_contact(f"o{i}@example.com")["contact_id"])
        cc.clock(advance=1)
    cc.ok(
        "PUT",
        f"/contacts/{ids[0]}",
        {"email_address": {"address": "o0@example.com"}, "update_source": "Account"},
    )
    listed = lambda: [c["contact_id"] for c in cc.ok("GET", "/contacts?limit=50")["contacts"]]  # noqa: E731
    assert listed() == ids
    cc.config(order="updated")
    assert listed() == ids[1:] + ids[:1]
    cc.config(order="random")
    shuffled = listed()
    assert sorted(shuffled) == sorted(ids) and shuffled != ids and shuffled == listed()


def test_bad_query_parameters(cc: CC) -> None:
    """§3.1: bad limit, status, include, dates and cursors are 400s."""
    for query in (
        "limit=501",
        "limit=x",
        "include=bogus",
        "updated_after=yesterday",
        "include_count=maybe",
        "lists=nope",
    ):
        assert cc.api("GET", f"/contacts?{query}").status_code == 400, query
    forged = base64.urlsafe_b64encode(b"limit=5").decode()
    for cursor in ("%%%", "bm90IGEgY3Vyc29y", forged):
        assert cc.api("GET", f"/contacts?cursor={cursor}").status_code == 400, cursor
