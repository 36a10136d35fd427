"""The error a Vtiger operation answers with (``{"code", "message"}``)."""

from __future__ import annotations

DENIED = "Permission to perform the operation is denied"
DENIED_ID = "Permission to perform the operation is denied for id"
READ_DENIED = "Permission to read given object is denied"
BAD_ID = "Id specified is incorrect"


class VtigerError(Exception):
    """An operation failure; ``code`` may be a string or the integer 0 (duplicates)."""

    def __init__(self, code: str | int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status  # the restapi flavour answers with this HTTP status

    def to_json(self) -> dict[str, object]:
        """The webservice failure envelope."""
        return {"success": False, "error": {"code": self.code, "message": self.message}}


class ServerCrash(Exception):
    """An uncaught PHP error: HTTP 500 with an empty body."""


def denied_for_name(module: str) -> VtigerError:
    """``ACCESS_DENIED`` for an unknown module name."""
    return VtigerError("ACCESS_DENIED", f"{DENIED} for name : {module}")


def mandatory_missing(name: str) -> VtigerError:
    """``MANDATORY_FIELDS_MISSING`` naming the first field without a value."""
    return VtigerError("MANDATORY_FIELDS_MISSING", f"{name} does not have a value")
