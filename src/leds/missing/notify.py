"""The register's notifications, through alerts (:func:`leds.alerts.service.notify`), in the
caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

COORDINATOR = "missing_persons_coordinator"


def tell_coordinators(conn: Connection, kind: str, episode: str, force: str, detail: dict[str, Any],
                      key: str | None = None) -> None:
    """Tell ``force``'s missing-persons coordinators about ``episode`` (no record data in ``detail``)."""
    from leds.alerts.service import notify

    notify(conn, kind=kind, rkey=episode, role=COORDINATOR, force=force, detail=detail,
           key=key[:100] if key else None, purpose="missing_person_enquiry")
