"""``python -m ccsync`` and the ``ccsync`` console script.

``ccsync emulate …`` is dispatched straight to the emulator commands so that an emulator starts
without importing the database, web and engine layers (tests start many emulator processes).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line."""
    if len(sys.argv) > 1 and sys.argv[1] == "emulate":
        from ccsync.emulators.cli import app as emulate_app

        emulate_app(args=sys.argv[2:], prog_name="ccsync emulate")
        return
    from ccsync.cli import main as full_main

    full_main()


if __name__ == "__main__":
    main()
