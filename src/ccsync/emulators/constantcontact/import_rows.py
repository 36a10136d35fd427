"""Checking the rows of ``POST /v3/activities/contacts_json_import`` before they are queued."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ccsync.emulators.constantcontact.runtime import bad_request
from ccsync.emulators.constantcontact.state import Account
from ccsync.emulators.constantcontact.validation import check_id_list, is_email

MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 40000
MAX_REPORTED_ERRORS = 100
_ADDRESS = {"street": 255, "street2": 255, "city": 50, "state": 50, "zip": 50, "country": 50}
STRING_LIMITS: dict[str, int] = {
    "email": 50,
    "first_name": 50,
    "last_name": 50,
    "job_title": 50,
    "company_name": 50,
    "anniversary": 10,
    **{k: 50 for k in ("phone", "home_phone", "work_phone", "mobile_phone", "other_phone")},
    **{
        f"{prefix}{k}": v
        for prefix in ("", "home_", "work_", "other_")
        for k, v in _ADDRESS.items()
    },
}


@dataclass
class ParsedImport:
    """The accepted rows (one per email, last row wins) and the rows' errors."""

    total: int
    list_ids: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def payload(self) -> dict[str, Any]:
        """The activity payload for ``activities.enqueue``."""
        status = {
            "person_count": len(self.rows),
            "error_count": self.error_count,
            "correctable_count": 0,
            "cannot_add_to_list_count": 0,
        }
        return {
            "rows": self.rows,
            "list_ids": self.list_ids,
            "errors": self.errors,
            "status": status,
        }


def truncate(body: Any) -> Any:
    """Keep only the leading rows that fit in 4 MB, as CC silently drops the rest."""
    if not isinstance(body, dict) or not isinstance(body.get("import_data"), list):
        return body
    budget = MAX_BYTES - len(json.dumps({**body, "import_data": []}).encode())
    kept: list[Any] = []
    for row in body["import_data"]:
        budget -= len(json.dumps(row).encode()) + 1
        if budget < 0:
            break
        kept.append(row)
    return {**body, "import_data": kept}


def parse(account: Account, body: Any) -> ParsedImport:
    """Check the body (400 on a bad envelope) and each row (row errors are counted)."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    problems: list[str] = []
    list_ids = check_id_list(problems, "list_ids", body.get("list_ids"), 50, minimum=1)
    live = account.live_lists()
    problems += [f"Unknown list_id {i[:60]}" for i in list_ids if i not in live]
    data = body.get("import_data")
    if not isinstance(data, list) or not data:
        problems.append("import_data is required and must be a non-empty array")
    elif len(data) > MAX_ROWS:
        problems.append(f"import_data must contain at most {MAX_ROWS} contacts")
    if problems:
        raise bad_request(*problems)
    assert isinstance(data, list)
    parsed = ParsedImport(total=len(data), list_ids=list_ids)
    by_email: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(data, start=1):
        problem = _row_problem(account, row)
        if problem:
            parsed.error_count += 1
            if len(parsed.errors) < MAX_REPORTED_ERRORS:
                parsed.errors.append(f"Row {number}: {problem}")
            continue
        key = row["email"].strip().lower()
        by_email.pop(key, None)  # the last row of an email wins, in its own position
        by_email[key] = {**row, "email": row["email"].strip()}
    parsed.rows = list(by_email.values())
    return parsed


def _row_problem(account: Account, row: Any) -> str | None:
    if not isinstance(row, dict):
        return "each contact must be an object"
    if not is_email(row.get("email")):
        return "email is missing or not a valid email address"
    for key, value in row.items():
        if key.startswith("cf:"):
            if account.custom_field_by_name(key[3:]) is None:
                return f"unknown custom field {key[:60]}"
            limit = 255
        elif key in ("birthday_month", "birthday_day"):
            if not isinstance(value, int) or isinstance(value, bool):
                return f"{key} must be an integer"
            continue
        else:
            limit = STRING_LIMITS.get(key, 255)
        if not isinstance(value, str) or len(value) > limit:
            return f"{key[:60]} must be a string of at most {limit} characters"
    return None
