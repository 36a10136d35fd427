"""Issue 9 store additions: opted-out CRM addresses kept across runs, pending pairs."""

from __future__ import annotations

from ccsync.store import repos
from ccsync.store.repos import LinkWrite

from .conftest import Store


def test_optouts_follow_what_runs_read(store: Store) -> None:
    cid = store.connector_id
    with store.sessions.begin() as session:
        repos.put_optouts(session, cid, {"12x1": "b@example.com", "12x2": None})
    with store.sessions.begin() as session:
        assert repos.optout_emails(session, cid) == frozenset({"b@example.com"})
        repos.put_optouts(session, cid, {"12x3": "b@example.com", "12x1": "c@example.com"})
        assert repos.optout_emails(session, cid) == frozenset({"b@example.com", "c@example.com"})
        assert repos.optout_holders(session, cid, ["b@example.com"]) == ["12x3"]
        repos.put_optouts(session, cid, {"12x3": None, "12x1": None})
        assert repos.optout_emails(session, cid) == frozenset()


def test_a_complete_listing_forgets_the_opt_outs_of_contacts_it_lacks(store: Store) -> None:
    cid = store.connector_id
    with store.sessions.begin() as session:
        repos.put_optouts(session, cid, {"12x1": "a@example.com", "12x2": "b@example.com"})
        repos.put_optouts(session, cid, {"12x2": "b@example.com"})  # an incremental read
        assert repos.optout_emails(session, cid) == frozenset({"a@example.com", "b@example.com"})
        repos.put_optouts(session, cid, {"12x2": "b@example.com"}, complete=True)
        assert repos.optout_emails(session, cid) == frozenset({"b@example.com"})


def test_a_pending_pair_is_listed_until_its_next_stored_write(store: Store) -> None:
    cid = store.connector_id
    snap = {"email": "a@example.com"}
    with store.sessions.begin() as session:
        repos.upsert_links(session, cid, [LinkWrite("12x1", "cc-1", snap, snap)])
        link = repos.get_link_by_crm(session, cid, "12x1")
        assert link is not None
        repos.mark_pending(session, cid, [link.id], "cc_email_in_use")
    with store.sessions.begin() as session:
        assert [p.crm_id for p in repos.list_pending(session, cid)] == ["12x1"]
        repos.upsert_links(session, cid, [LinkWrite("12x1", "cc-1", snap, snap)])
        assert repos.list_pending(session, cid) == []
