"""The HTML pages of the authorize flow (login, consent, errors) as real forms."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.responses import HTMLResponse
from jinja2 import DictLoader, Environment, select_autoescape

_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} – Constant Contact (emulator)</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%231856a8'/%3E%3C/svg%3E">
<style>
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b2430;
background:#eef3f8}
header{background:#1856a8;color:#fff;padding:.7rem 1.25rem;font-weight:700}
header small{font-weight:400;opacity:.9}
main{max-width:26rem;margin:2.5rem auto;background:#fff;border:1px solid #d5dbe3;
border-radius:8px;padding:1.25rem 1.5rem}
h1{font-size:1.4rem;margin:.2rem 0 1rem}
label{display:block;font-weight:600;margin:.8rem 0 .25rem}
input{box-sizing:border-box;width:100%;font:inherit;padding:.5rem .6rem;border:1px solid #8794a6;
border-radius:6px}
button{font:inherit;padding:.5rem 1rem;border-radius:6px;border:1px solid #1856a8;
background:#fff;color:#1856a8;cursor:pointer;margin:1rem .5rem 0 0}
button.primary{background:#1856a8;color:#fff}
.error{color:#a3161a;font-weight:600}
.demo{margin-top:1.5rem;padding:.75rem 1rem;background:#fdf6e3;border:1px solid #e0c97a;
border-radius:6px;font-size:.92rem}
.demo table{border-collapse:collapse;width:100%}.demo td{padding:.2rem .4rem 0 0}
code{font-size:.9rem;overflow-wrap:anywhere}
</style>
</head><body><header>Constant Contact <small>(emulator)</small></header>
<main><h1>{{ title }}</h1>{% block body %}{% endblock %}</main></body></html>"""

_LOGIN = """{% extends "base" %}{% block body %}
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/oauth2/default/v1/authorize/login">
<input type="hidden" name="request_id" value="{{ request_id }}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="primary" type="submit">Log in</button></form>
{% if demo_logins %}<section class="demo" aria-labelledby="demo-h">
<strong id="demo-h">Demo logins of this emulator</strong> (not real accounts):
<table>{% for login, password in demo_logins %}
<tr><td><code>{{ login }}</code></td><td><code>{{ password }}</code></td></tr>{% endfor %}
</table></section>{% endif %}{% endblock %}"""

_CONSENT = """{% extends "base" %}{% block body %}
<p>Signed in as <strong>{{ login }}</strong>{% if organization %} ({{ organization }})
{%- endif %}.</p>
<p>The application <strong>ccsync</strong> asks for access to your account:</p>
<ul>{% for scope in scopes %}<li>{{ scope }}</li>{% endfor %}</ul>
<form method="post" action="/oauth2/default/v1/authorize/consent">
<input type="hidden" name="request_id" value="{{ request_id }}">
<button class="primary" type="submit" name="decision" value="allow">Allow Access</button>
<button type="submit" name="decision" value="deny">Deny</button></form>{% endblock %}"""

_ERROR = """{% extends "base" %}{% block body %}<p class="error">{{ message }}</p>
{% endblock %}"""

_ENV = Environment(
    loader=DictLoader({"base": _BASE, "login": _LOGIN, "consent": _CONSENT, "error": _ERROR}),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def login_page(
    request_id: str, error: str | None, demo_logins: Sequence[tuple[str, str]] = ()
) -> HTMLResponse:
    """The sign-in form of the authorize flow, with the emulator's logins and passwords (it is
    a demo: people trying ccsync out need them to sign in)."""
    html = _ENV.get_template("login").render(
        title="Log in", request_id=request_id, error=error, demo_logins=list(demo_logins)
    )
    return HTMLResponse(html, status_code=401 if error else 200)


def consent_page(request_id: str, login: str, scope: str, organization: str = "") -> HTMLResponse:
    """The consent form with "Allow Access" and "Deny"."""
    html = _ENV.get_template("consent").render(
        title="Allow access?",
        request_id=request_id,
        login=login,
        organization=organization,
        scopes=scope.split(),
    )
    return HTMLResponse(html)


def error_page(message: str) -> HTMLResponse:
    """A 400 page for requests that cannot be redirected back (bad client or redirect URI)."""
    html = _ENV.get_template("error").render(title="Authorization error", message=message)
    return HTMLResponse(html, status_code=400)
