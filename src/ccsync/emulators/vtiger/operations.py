"""The operations both flavours share, on an authenticated user (caller holds the lock)."""

from __future__ import annotations

from collections.abc import Mapping

from ccsync.emulators.vtiger import queryexec, records, schema, sync
from ccsync.emulators.vtiger.errors import denied_for_name
from ccsync.emulators.vtiger.state import Store, User

GET_OPERATIONS = frozenset({"getchallenge", "retrieve", "query", "sync", "listtypes", "describe"})
POST_OPERATIONS = frozenset({"login", "create", "update", "revise", "delete", "logout"})


def perform(
    store: Store, user: User, operation: str, params: Mapping[str, str], sync_type: str = "user"
) -> object:
    """Run one record/metadata operation and return its ``result``.

    Raises:
        VtigerError: the real server's error for this request.
    """
    if operation == "listtypes":
        return schema.listtypes(user.is_admin, params.get("fieldTypeList"))
    if operation == "describe":
        module = params.get("elementType", "")
        if module not in store.schemas:
            raise denied_for_name(module)
        return store.schemas[module].describe(user.is_admin)
    if operation == "query":
        return queryexec.run(store, user, params.get("query", ""))
    if operation == "sync":
        return sync.run(
            store, user, params.get("modifiedTime"), params.get("elementType"), sync_type
        )
    return _write_or_read(store, user, operation, params)


def _write_or_read(store: Store, user: User, operation: str, params: Mapping[str, str]) -> object:
    if operation == "retrieve":
        return records.render(store, records.resolve(store, params.get("id"), user), user)
    if operation == "delete":
        return records.delete(store, user, params.get("id"))
    element = records.decode_element(params.get("element"))
    if operation == "create":
        record = records.create(store, user, params.get("elementType", ""), element)
    elif operation == "update":
        record = records.update(store, user, element)
    else:
        record = records.revise(store, user, element)
    return records.render(store, record, user)
