"""A separate process that uses a connector's stored tokens, for the race and kill tests.

Usage: ``python refresher.py BASE_URL TOKENS LIMITER MODE [SYNC_DIR]`` where MODE is

- ``refresh``: refresh the (locally expired) token through an API call and print the result;
- ``kill-after-commit``: refresh, then SIGKILL itself right after the new pair is committed;
- ``kill-before-commit``: SIGKILL itself when the token endpoint answered, before the commit.

With SYNC_DIR the process writes ``ready-<pid>`` there and waits for ``go`` before starting,
so two processes can be released together.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.constantcontact.tokens import FileTokenStore, TokenSet


def _die(_: TokenSet) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _wait_for_go(sync_dir: Path) -> None:
    (sync_dir / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 30
    while not (sync_dir / "go").exists():  # a start barrier between processes, not a server wait
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)


def main(argv: list[str]) -> None:
    base_url, tokens, limiter, mode = argv[:4]
    if len(argv) > 4:
        _wait_for_go(Path(argv[4]))
    settings = CCSettings.for_base_url(base_url, "ccsync-demo-client", "ccsync-demo-secret")
    hook = _die if mode == "kill-before-commit" else None
    connector = ConstantContactConnector(
        settings, FileTokenStore(Path(tokens)), limiter_path=Path(limiter), rate=100,
        on_token_received=hook,
    )  # fmt: skip
    if mode == "kill-after-commit":
        connector.tokens.current()  # refreshes and commits
        os.kill(os.getpid(), signal.SIGKILL)
    identity = connector.account_identity()
    print(json.dumps({"identity": identity, "refreshes": connector.tokens.refreshes}))
    connector.close()


if __name__ == "__main__":
    main(sys.argv[1:])
