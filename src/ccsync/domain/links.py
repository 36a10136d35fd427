"""Links people follow out of ccsync: only absolute http(s) URLs are ever made or accepted."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_http_url(value: str) -> bool:
    """True for an absolute ``http://`` or ``https://`` URL with a host (no spaces)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and " " not in value
