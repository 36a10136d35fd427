"""``ccsync connector authorize|revoke``: the OAuth sign-in from a terminal.

``authorize`` prints the authorization URL as the first line of its output. When the redirect
URI is a loopback URI it listens on exactly that host and port for one redirect (a one-shot
``http.server``); otherwise it asks for the redirected URL to be pasted. ``state`` is checked,
the tokens are stored, and the CC account's identity is recorded (a different account than
before archives the old links, so the next run is a first run with its Preview).
"""

from __future__ import annotations

import secrets
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import typer
from sqlalchemy.orm import Session, sessionmaker

from ccsync.cli.common import connector_by_name, console, fail, load_settings, store
from ccsync.connectors.constantcontact.oauth import (
    authorization_url,
    exchange_code,
    new_pkce_verifier,
)
from ccsync.connectors.constantcontact.oauth import revoke as revoke_tokens
from ccsync.connectors.constantcontact.settings import CCConfig
from ccsync.connectors.provider_config import part_as
from ccsync.engine.config import load_config, settings_patch
from ccsync.engine.factory import account_summary
from ccsync.errors import SyncError
from ccsync.store import repos
from ccsync.store.repos import ConnectorRow
from ccsync.store.tokens import DbTokenStore

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
PAGE = b"<html><body><h1>ccsync</h1><p>You can close this window.</p></body></html>"


def _catcher(path_wanted: str, box: dict[str, dict[str, list[str]]]) -> type:
    """A request handler that answers the one redirect and puts its query in ``box``."""

    class Catcher(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != path_wanted:
                self.send_error(404)
                return
            box["query"] = parse_qs(parts.query)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the query carries the authorization code."""

    return Catcher


def _listen(redirect_uri: str, timeout: float) -> dict[str, list[str]]:
    parts = urlsplit(redirect_uri)
    box: dict[str, dict[str, list[str]]] = {}
    host = (parts.hostname or "127.0.0.1").strip("[]")
    server = HTTPServer((host, parts.port or 80), _catcher(parts.path or "/", box))
    server.timeout = 0.5
    deadline = time.monotonic() + timeout
    try:
        while "query" not in box and time.monotonic() < deadline:
            server.handle_request()
    finally:
        server.server_close()
    if "query" not in box:
        raise fail("no redirect arrived in time")
    return box["query"]


def _pasted() -> dict[str, list[str]]:
    url: str = typer.prompt("Paste the URL your browser was redirected to")
    return parse_qs(urlsplit(url.strip()).query)


def _code(query: dict[str, list[str]], state: str) -> str:
    if "error" in query:
        detail = query.get("error_description", query["error"])[0]
        raise fail(f"authorization refused: {query['error'][0]} ({detail})")
    if query.get("state", [""])[0] != state:
        raise fail("the redirect's state does not match: start again")
    code = query.get("code", [""])[0]
    if not code:
        raise fail("the redirect carries no authorization code")
    return code


def _cc_config(row: ConnectorRow) -> CCConfig:
    """The Constant Contact settings of ``row`` (``ConfigError`` for another provider)."""
    return part_as(load_config(row).cc, CCConfig)


def authorize(
    name: str,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the redirect.")] = 300.0,
) -> None:
    """Sign in to Constant Contact for a connector and store its tokens."""
    settings = load_settings()
    with store(settings) as sessions:
        row = connector_by_name(sessions, name)
        config = _cc_config(row)
        cc = config.runtime()
        state = secrets.token_urlsafe(24)
        verifier = new_pkce_verifier() if cc.uses_pkce else None
        typer.echo(authorization_url(cc, state, verifier), nl=True)
        host = urlsplit(config.redirect_uri).hostname or ""
        query = _listen(config.redirect_uri, timeout) if host in LOOPBACK else _pasted()
        tokens = DbTokenStore(sessions, row.id, settings.data_dir)
        try:
            exchange_code(cc, _code(query, state), verifier, tokens)
            summary = account_summary(settings, sessions, row)
        except SyncError as exc:
            raise fail(str(exc)) from None
        account = summary.id
        _record_account(sessions, row.id, row.cc_account_id, account)
        with sessions.begin() as session:
            repos.update_connector_settings(
                session, row.id, settings_patch(cc_account_label=summary.label)
            )
    console.print(f"Connector [bold]{name}[/bold] is connected to account {account}.")


def _record_account(
    sessions: sessionmaker[Session], connector_id: int, old: str | None, new: str
) -> None:
    with sessions.begin() as session:
        if old and old != new:
            # another CC account: old pairs mean nothing there; the next run starts afresh
            repos.archive_links(session, connector_id)
            repos.clear_state(session, connector_id)
            repos.update_connector(session, connector_id, first_run_cutoff=None)
        repos.update_connector(session, connector_id, cc_account_id=new)
        repos.set_connector_status(session, connector_id, "connected")


def revoke(name: str) -> None:
    """Revoke the connector's tokens (best effort) and forget them; syncing stops."""
    settings = load_settings()
    with store(settings) as sessions:
        row = connector_by_name(sessions, name)
        cc = _cc_config(row).runtime()
        ok = revoke_tokens(cc, DbTokenStore(sessions, row.id, settings.data_dir))
        with sessions.begin() as session:
            repos.set_connector_status(session, row.id, "needs_sign_in", "access revoked")
    if ok:
        console.print("Constant Contact revoked the tokens; they are deleted here too.")
    else:
        console.print(
            "Constant Contact did not confirm the revocation (or no revoke URL is set). The "
            "tokens are deleted here; remove the app's access in Constant Contact under "
            "My Settings › Integrations to be sure."
        )
