"""The HTML pages of the authorize flow (login, consent, errors) as real forms."""

from __future__ import annotations

from fastapi.responses import HTMLResponse
from jinja2 import DictLoader, Environment, select_autoescape

_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} – Constant Contact (emulator)</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}label{display:block;
margin:.6rem 0}input{width:100%}button{margin:.6rem .6rem 0 0}.error{color:#b00}</style>
</head><body><h1>{{ title }}</h1>{% block body %}{% endblock %}</body></html>"""

_LOGIN = """{% extends "base" %}{% block body %}
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/oauth2/default/v1/authorize/login">
<input type="hidden" name="request_id" value="{{ request_id }}">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password"
required></label>
<button type="submit">Log in</button></form>{% endblock %}"""

_CONSENT = """{% extends "base" %}{% block body %}
<p>Signed in as <strong>{{ login }}</strong>.</p>
<p>The application <strong>ccsync</strong> asks for access to your account:</p>
<ul>{% for scope in scopes %}<li>{{ scope }}</li>{% endfor %}</ul>
<form method="post" action="/oauth2/default/v1/authorize/consent">
<input type="hidden" name="request_id" value="{{ request_id }}">
<button type="submit" name="decision" value="allow">Allow Access</button>
<button type="submit" name="decision" value="deny">Deny</button></form>{% endblock %}"""

_ERROR = """{% extends "base" %}{% block body %}<p class="error">{{ message }}</p>
{% endblock %}"""

_ENV = Environment(
    loader=DictLoader({"base": _BASE, "login": _LOGIN, "consent": _CONSENT, "error": _ERROR}),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def login_page(request_id: str, error: str | None) -> HTMLResponse:
    """The sign-in form of the authorize flow."""
    html = _ENV.get_template("login").render(title="Log in", request_id=request_id, error=error)
    return HTMLResponse(html, status_code=401 if error else 200)


def consent_page(request_id: str, login: str, scope: str) -> HTMLResponse:
    """The consent form with "Allow Access" and "Deny"."""
    html = _ENV.get_template("consent").render(
        title="Allow access?", request_id=request_id, login=login, scopes=scope.split()
    )
    return HTMLResponse(html)


def error_page(message: str) -> HTMLResponse:
    """A 400 page for requests that cannot be redirected back (bad client or redirect URI)."""
    html = _ENV.get_template("error").render(title="Authorization error", message=message)
    return HTMLResponse(html, status_code=400)
