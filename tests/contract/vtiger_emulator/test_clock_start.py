"""``--clock``/``--freeze-clock``: the emulator starts at a set instant and reset goes back to it.

Seeds are dated from the emulator clock, so a test sees the same data whatever the real date.
"""

from __future__ import annotations

from pathlib import Path

from .client import Vt, start_vtiger

START = "2031-02-03T04:05:06+00:00"


def test_reset_returns_to_the_start_instant_and_seeds_before_it(tmp_path: Path) -> None:
    proc = start_vtiger(tmp_path, "--clock", START, "--freeze-clock")
    vt = Vt(proc.base_url)
    try:
        assert vt.control("GET", "/clock") == {"now": START, "frozen": True}
        vt.control("POST", "/clock", {"advance": 40 * 86400, "freeze": False})
        vt.control("POST", "/reset", {"seed_contacts": 40})
        assert vt.control("GET", "/clock") == {"now": START, "frozen": True}
        rows = vt.login().rows("SELECT id, modifiedtime FROM Contacts LIMIT 100;")
        stamps = sorted(row["modifiedtime"] for row in rows)
        assert len(stamps) == 40
        assert "2031-01-04 04:05:06" <= stamps[0] and stamps[-1] < "2031-02-03 04:05:06"
    finally:
        vt.close()
        proc.stop()


def test_a_bad_start_instant_is_refused(tmp_path: Path) -> None:
    try:
        start_vtiger(tmp_path, "--clock", "next tuesday")
    except RuntimeError as exc:
        assert "--clock" in str(exc)
    else:
        raise AssertionError("the emulator started with --clock 'next tuesday'")
