"""``--clock``/``--freeze-clock``: the emulator starts at a set instant and reset goes back to it.

Seeded contacts are dated from the emulator clock, so they look the same whatever the real date.
"""

from __future__ import annotations

from pathlib import Path

from .driver import start

START = "2031-02-03T04:05:06+00:00"


def test_reset_returns_to_the_start_instant_and_seeds_before_it(tmp_path: Path) -> None:
    cc = start(tmp_path, "--clock", START, "--freeze-clock")
    try:
        assert cc.ctl("GET", "/clock") == {"now": START, "frozen": True}
        cc.clock(advance=40 * 86400, freeze=False)
        cc.reset(seed_contacts=5)
        assert cc.ctl("GET", "/clock") == {"now": START, "frozen": True}
        contacts = cc.contacts()
        assert len(contacts) == 5
        for contact in contacts:
            assert contact["created_at"] <= contact["updated_at"] <= "2031-02-03T04:05:06Z"
    finally:
        cc.close()
