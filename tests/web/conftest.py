"""A web app on a fresh SQLite store with an admin, a standard user and one connector each."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from ccsync.engine.config import ConnectorConfig
from ccsync.settings import get_settings
from ccsync.store.repos.connectors import create_connector
from ccsync.store.repos.users import create_user
from ccsync.web.app import create_app
from ccsync.web.context import WebContext

ADMIN = ("boss", "boss-password-1")
USER = ("joe", "joe-password-12")


@dataclass
class WebEnv:
    """The app, its context and the ids the tests use."""

    app: FastAPI
    ctx: WebContext
    admin_id: int
    user_id: int
    admin_connector: int
    user_connector: int


def make_env(tmp_path: Path) -> WebEnv:
    """Build the app on a new store (scheduler off: tests start runs only where they mean to)."""
    app, ctx = _app(tmp_path / "data")
    config = ConnectorConfig.from_keys(
        cc_client_id="test-client",
        cc_auth_url="http://127.0.0.1:9/oauth2/default/v1/authorize",
        cc_token_url="http://127.0.0.1:9/oauth2/default/v1/token",
        cc_api_url="http://127.0.0.1:9/v3",
        vtiger_url="http://127.0.0.1:9",
        vtiger_username="admin",
        frequency="off",
    ).stored()
    with ctx.sessions.begin() as session:
        admin = create_user(session, ADMIN[0], ADMIN[1], role="admin")
        user = create_user(session, USER[0], USER[1], role="user")
        a = create_connector(
            session, "Admin CC", admin.id, config, client_secret="s3cr3t-value-xyz"
        )
        u = create_connector(session, "Joe CC", user.id, config, client_secret="s3cr3t-value-xyz")
    return WebEnv(app, ctx, admin.id, user.id, a.id, u.id)


def _app(data_dir: Path) -> tuple[FastAPI, WebContext]:
    settings = get_settings(data_dir=data_dir, base_url="http://127.0.0.1:8765")
    app = create_app(settings, scheduler=False)
    return app, app.state.ctx


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WebEnv]:
    """One migrated store with the users and connectors, copied for every test (fast)."""
    root = tmp_path_factory.mktemp("web-template")
    built = make_env(root)
    built.ctx.engine.dispose()
    return root / "data", built


@pytest.fixture
def env(template: tuple[Path, WebEnv], tmp_path: Path) -> Iterator[WebEnv]:
    """A fresh app per test, on a copy of the template store."""
    source, built = template
    shutil.copytree(source, tmp_path / "data")
    app, ctx = _app(tmp_path / "data")
    yield WebEnv(
        app, ctx, built.admin_id, built.user_id, built.admin_connector, built.user_connector
    )
    ctx.engine.dispose()


def csrf(client: TestClient) -> str:
    """The CSRF token the app gave this client (fetched on the first page)."""
    if "csrftoken" not in client.cookies:
        client.get("/login")
    return str(client.cookies["csrftoken"])


def login(client: TestClient, username: str, password: str) -> None:
    """Sign in through the form; asserts it worked."""
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrftoken": csrf(client)}
    )
    assert answer.status_code == 303, answer.text


@pytest.fixture
def admin_client(env: WebEnv) -> Iterator[TestClient]:
    """A browser signed in as the admin."""
    with TestClient(env.app, follow_redirects=False) as client:
        login(client, *ADMIN)
        yield client


@pytest.fixture
def user_client(env: WebEnv) -> Iterator[TestClient]:
    """A browser signed in as the standard user."""
    with TestClient(env.app, follow_redirects=False) as client:
        login(client, *USER)
        yield client
