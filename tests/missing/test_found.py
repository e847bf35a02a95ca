"""Who is told that an episode was found: the reporting force's coordinators, when an episode
that was live is found; not when a force sends the history of episodes already found."""

from __future__ import annotations

from sqlalchemy import select

from leds.alerts.tables import alert_inbox
from leds.config import Settings
from leds.db.engine import get_engine

from ..factories import load, wyp_records
from .helpers import ago, episode, send, wyp

E1 = "WYP|NICHE-RMS|missing_episode|MIS-1"
E2 = "WYP|NICHE-RMS|missing_episode|MIS-2"


def _told(settings: Settings) -> list[str]:
    with get_engine(settings).connect() as conn:
        return sorted(r[0] for r in conn.execute(select(alert_inbox.c.rkey).where(alert_inbox.c.kind == "missing_found")))


def test_history_sent_already_found_tells_nobody_but_a_live_episode_found_in_the_same_batch_does(
        sqlite_settings: Settings) -> None:
    load(sqlite_settings, wyp_records())
    found = {"reported": ago(days=3), "seen": ago(days=3, hours=1), "found": {"at": ago(days=2)}}
    s = send(sqlite_settings, [wyp(100, episode("MIS-1", "P-2", status="found", **found)),  # history
                               wyp(101, episode("MIS-2", "P-2", reported=ago(days=3), seen=ago(days=3, hours=1))),
                               wyp(102, episode("MIS-2", "P-2", status="found", **found))])  # live, then found
    assert s.accepted == 3, s.as_dict()
    assert _told(sqlite_settings) == [E2]
    send(sqlite_settings, [wyp(103, episode("MIS-1", "P-2", status="found", rationale="re-graded after", **found))])
    assert _told(sqlite_settings) == [E2]  # found again: nothing new
