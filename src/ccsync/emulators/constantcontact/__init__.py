"""Emulator of the Constant Contact v3 API and its Okta-style OAuth2 server.

Run it with ``ccsync emulate constant-contact``; see ``docs/emulator-constant-contact.md``.
"""
