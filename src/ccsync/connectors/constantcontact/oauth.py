"""OAuth 2 for Constant Contact through authlib: sign-in URL, code exchange, refresh, revoke.

authlib speaks the protocol (URLs, PKCE S256, Basic client auth, token parsing, RFC 7009); this
module adds what a rotating refresh token needs: one refresh at a time (``refresh_lock``), a
re-load after taking the lock, and the new pair committed with compare-and-swap before the new
access token is used. ``invalid_grant`` ends in ``ReconnectNeeded``, never in a retry loop.

The one unavoidable window: if the process dies after the token endpoint answered and before
``TokenStore.swap`` committed the new pair, the old refresh token is already spent and the new
one is lost, so the next process gets ``ReconnectNeeded`` and the owner must sign in again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Auth, OAuth2ClientAuth, OAuthError
from authlib.integrations.httpx_client.utils import HTTPX_CLIENT_KWARGS
from authlib.oauth2.client import OAuth2Client as BaseOAuth2Client
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ccsync.connectors.constantcontact.errors import raise_for_token_response, transport_error
from ccsync.connectors.constantcontact.limiter import CallLimiter
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.tokens import TokenSet, TokenStore
from ccsync.errors import AuthError, ReconnectNeeded, RetriableError

DEFAULT_LEEWAY = 300.0  # refresh five minutes before expiry
TokenHook = Callable[[TokenSet], None]


class _TokenClient(BaseOAuth2Client):  # type: ignore[misc]
    """authlib's protocol client over any ``httpx2.Client`` (ours carries tracing hooks)."""

    client_auth_class = OAuth2ClientAuth
    token_auth_class = OAuth2Auth
    oauth_error_class = OAuthError
    SESSION_REQUEST_PARAMS = HTTPX_CLIENT_KWARGS


def _check(response: httpx2.Response) -> httpx2.Response:
    raise_for_token_response(response)
    return response


def _token_client(settings: CCSettings, http: httpx2.Client) -> _TokenClient:
    client = _TokenClient(
        http,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scope=settings.scopes,
        redirect_uri=settings.redirect_uri or None,
        code_challenge_method="S256",
    )
    client.register_compliance_hook("access_token_response", _check)
    client.register_compliance_hook("refresh_token_response", _check)
    return client


@contextmanager
def _http_or_new(http: httpx2.Client | None) -> Iterator[httpx2.Client]:
    if http is not None:
        yield http
        return
    with httpx2.Client(timeout=30) as client:
        yield client


def _token_call(call: Callable[[], Any]) -> Any:
    """A token-endpoint call, retried only where the server did not use the grant.

    429, 5xx and connection failures are retried (a few times, about a second apart, as the
    endpoint takes 1 request/s); ``invalid_grant`` and other refusals are not.
    """
    retrying = Retrying(
        retry=retry_if_exception_type(RetriableError),
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=1.1, max=4),
        reraise=True,
    )
    return retrying(lambda: _mapped(call))


def _mapped(call: Callable[[], Any]) -> Any:
    """Run a token-endpoint call, mapping transport and protocol failures to ccsync errors."""
    try:
        return call()
    except httpx2.TransportError as exc:
        raise transport_error(exc) from None
    except OAuthError as exc:
        if exc.error == "invalid_grant":
            raise ReconnectNeeded("token endpoint: invalid_grant; sign in again") from None
        raise AuthError(f"token endpoint: {exc.error}") from None
    except (KeyError, ValueError) as exc:
        raise AuthError(f"token endpoint answered without a token ({type(exc).__name__})") from None


def new_pkce_verifier() -> str:
    """A fresh PKCE code verifier (RFC 7636: 43–128 unreserved characters)."""
    return str(generate_token(64))


def authorization_url(settings: CCSettings, state: str, code_verifier: str | None) -> str:
    """The URL that sends the owner to Constant Contact's login and consent pages.

    Args:
        settings: the connector settings (``pkce`` off drops the challenge).
        state: the anti-CSRF value the callback must bring back.
        code_verifier: the PKCE verifier kept in the session (None = no PKCE).

    Returns:
        The authorization URL.
    """
    verifier = code_verifier if settings.uses_pkce else None
    client = _token_client(settings, httpx2.Client())
    try:
        uri, _ = client.create_authorization_url(
            settings.auth_url, state=state, code_verifier=verifier
        )
    finally:
        client.session.close()
    return str(uri)


def exchange_code(
    settings: CCSettings,
    code: str,
    code_verifier: str | None,
    tokens: TokenStore,
    http: httpx2.Client | None = None,
) -> TokenSet:
    """Trade the callback's ``code`` for tokens and store them (replacing any old set).

    Raises:
        ReconnectNeeded: the code is invalid, used or expired. AuthError: other refusals.
        RetriableError: the token endpoint was unreachable or overloaded.
    """
    extra = {"code_verifier": code_verifier} if code_verifier and settings.uses_pkce else {}
    with _http_or_new(http) as client:
        oauth = _token_client(settings, client)
        raw = _token_call(lambda: oauth.fetch_token(settings.token_url, code=code, **extra))
    new = TokenSet.from_response(dict(raw), datetime.now(UTC))
    for _ in range(3):
        current = tokens.load()
        stored = tokens.swap(None if current is None else current.version, new)
        if stored is not None:
            return stored
    raise AuthError("could not store the new tokens: the token store kept changing")


def revoke(settings: CCSettings, tokens: TokenStore, http: httpx2.Client | None = None) -> bool:
    """Ask CC to revoke the tokens (best effort) and always forget them locally.

    Returns:
        True when the provider accepted the revocation, False when there is no revoke URL or
        the call failed (the owner should then remove the app's access in Constant Contact).
    """
    current = tokens.load()
    url = settings.revoke_endpoint()
    ok = False
    if current is not None and url:
        ok = _revoke_remote(settings, url, current, http)
    tokens.clear()
    return ok


def _revoke_remote(
    settings: CCSettings, url: str, current: TokenSet, http: httpx2.Client | None
) -> bool:
    pairs = [(current.refresh_token, "refresh_token"), (current.access_token, "access_token")]
    try:
        with _http_or_new(http) as client:
            oauth = _token_client(settings, client)
            answers = [oauth.revoke_token(url, token=t, token_type_hint=h) for t, h in pairs if t]
    except httpx2.HTTPError:  # best effort: the caller tells the owner to remove access by hand
        return False
    return all(a.status_code < 400 for a in answers)


class TokenManager:
    """Hands out a valid access token, refreshing it safely when needed.

    Args:
        settings: the connector settings.
        tokens: where the pair lives.
        http: the client used for token calls.
        limiter: paces token-endpoint calls (1 request/s per application).
        clock: the current time (aware UTC).
        leeway: refresh when the token expires within this many seconds.
        on_token_received: test hook called with a new pair *before* it is committed.
    """

    def __init__(
        self,
        settings: CCSettings,
        tokens: TokenStore,
        http: httpx2.Client,
        limiter: CallLimiter,
        clock: Callable[[], datetime],
        *,
        leeway: float = DEFAULT_LEEWAY,
        on_token_received: TokenHook | None = None,
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._http = http
        self._limiter = limiter
        self._clock = clock
        self._leeway = leeway
        self._on_received = on_token_received
        self.refreshes = 0

    def current(self) -> TokenSet:
        """A token valid for at least ``leeway`` seconds (refreshed proactively).

        Raises:
            ReconnectNeeded: nobody signed in, or the grant is dead.
        """
        stored = self._load()
        if stored.expires_within(self._clock(), self._leeway):
            return self.refresh(stored)
        return stored

    def refresh(self, stale: TokenSet) -> TokenSet:
        """Replace ``stale`` (expiring, or refused with 401) by a fresh pair, once per connector.

        Another process or thread may have refreshed while we waited for the lock; then its
        pair is used and no request reaches the token endpoint.
        """
        with self._tokens.refresh_lock():
            current = self._load()
            if self._still_good(current, stale):
                return current
            return self._refresh_locked(current)

    def _load(self) -> TokenSet:
        stored = self._tokens.load()
        if stored is None:
            raise ReconnectNeeded("Constant Contact is not connected: sign in first")
        return stored

    def _still_good(self, current: TokenSet, stale: TokenSet) -> bool:
        changed = current.version != stale.version or current.access_token != stale.access_token
        return changed and not current.expires_within(self._clock(), self._leeway)

    def _refresh_locked(self, current: TokenSet) -> TokenSet:
        if not current.refresh_token:
            raise ReconnectNeeded("no refresh token (scope without offline_access): sign in again")
        raw = self._call_refresh(current.refresh_token)
        new = TokenSet.from_response(dict(raw), self._clock(), current.refresh_token)
        if self._on_received is not None:
            self._on_received(new)
        stored = self._tokens.swap(current.version, new)
        self.refreshes += 1
        if stored is None:
            # Someone wrote without the lock (a new sign-in): theirs is the live grant.
            return self._load()
        return stored

    def _call_refresh(self, refresh_token: str) -> Any:
        oauth = _token_client(self._settings, self._http)

        def attempt() -> Any:
            self._limiter.acquire()
            return oauth.refresh_token(self._settings.token_url, refresh_token=refresh_token)

        return _token_call(attempt)
