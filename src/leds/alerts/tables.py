"""The alerts domain's tables (created by migration 0010_alerts).

* ``alert_subscriptions``: who wants to be told about what, why, until when, and how
  (in-app always; a webhook and/or an e-mail address optionally), shared with a team
  (a role in the owner's force) or not.  User-owned state: never emptied by rebuild.
* ``alert_keys``: the index the projector matches changes against (``pid:NP-...``,
  ``rec:<person record>``, ``veh:<vrm key>``, ``rule:...``, ``srch:...``, ``watch:...``):
  one indexed look-up per batch, never a scan of the subscriptions.
* ``alert_inbox``: the in-app alerts, written in the ingest transaction (or the
  caller's, for :func:`leds.alerts.service.notify`).  One row per alert; it names the
  changed record so that what the reader may see is decided when it is read.
* ``alert_outbox``: one row per delivery on an external channel (webhook, e-mail), written
  in the same transaction as the inbox row; the delivery workers consume it.  Its
  ``idempotency_key`` is sent with the delivery so that a receiver can de-duplicate.
  ``state``: pending, sending (claimed by a worker), delivered, dead (the dead-letter list).
* ``alert_throttle``: each subscription's current minute (alerts sent in it and the
  digest that folds the rest).
* ``alert_reads``: the last inbox entry each user has seen (the unread count).
* ``alert_cursors``: how far the watch follower has read the audit trail.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from leds.db.schema import BigId, metadata

alert_subscriptions = Table(
    "alert_subscriptions", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("owner", String(64), nullable=False),
    Column("team", String(40)),  # a role: shared with the owner's force's users of that role
    Column("force", String(8), nullable=False),  # the owner's force when subscribed
    Column("kind", String(8), nullable=False),  # person | vehicle | rule | search | watch
    Column("target", String(200)),  # the person id or the normalised VRM
    Column("spec", Text),  # JSON: the rule or the saved search
    Column("purpose", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_on", String(10), nullable=False),  # YYYY-MM-DD: last day it is live
    Column("webhook_url", Text),
    Column("email", String(254)),
    Column("max_per_minute", Integer, nullable=False),
    Column("cancelled_at", String(32)),
)
Index("ix_alert_subscriptions_owner", alert_subscriptions.c.owner)

alert_keys = Table(
    "alert_keys", metadata,
    Column("key", String(240), primary_key=True),
    Column("subscription_id", BigInteger, primary_key=True),
    sqlite_with_rowid=False,
)

alert_inbox = Table(
    "alert_inbox", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("subscription_id", BigInteger),  # NULL for a notification (leds.alerts.service.notify)
    Column("owner", String(64)),  # the user told, or NULL when only a team is
    Column("team", String(40)),  # a role, in ``force``
    Column("force", String(8)),
    Column("kind", String(24), nullable=False),  # change | digest | lookup | a notifier's own kind
    Column("person_id", String(200)),
    Column("rkey", String(200)),  # the changed record: the reader must be able to see it
    Column("at", String(32), nullable=False),
    Column("detail", Text, nullable=False),  # JSON (envelope only: no record data)
    Column("idempotency_key", String(120), nullable=False, unique=True),
)
Index("ix_alert_inbox_owner_id", alert_inbox.c.owner, alert_inbox.c.id)
Index("ix_alert_inbox_team_id", alert_inbox.c.team, alert_inbox.c.force, alert_inbox.c.id)
Index("ix_alert_inbox_subscription_id", alert_inbox.c.subscription_id, alert_inbox.c.id)

alert_outbox = Table(
    "alert_outbox", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("inbox_id", BigInteger, nullable=False),
    Column("subscription_id", BigInteger, nullable=False),
    Column("channel", String(8), nullable=False),  # webhook | email
    Column("destination", Text, nullable=False),
    Column("idempotency_key", String(120), nullable=False, unique=True),
    Column("state", String(12), nullable=False),  # pending | sending | delivered | withheld | dead
    Column("attempts", Integer, nullable=False),
    Column("next_at", String(32), nullable=False),  # not before (back-off; a digest's minute end)
    Column("relayed_at", String(32)),  # put on the broker's stream
    Column("claimed_at", String(32)),
    Column("created_at", String(32), nullable=False),
    Column("delivered_at", String(32)),
    Column("last_error", Text),
)
Index("ix_alert_outbox_state_next_at", alert_outbox.c.state, alert_outbox.c.next_at)

alert_throttle = Table(
    "alert_throttle", metadata,
    Column("subscription_id", BigInteger, primary_key=True, autoincrement=False),
    Column("minute", String(16), nullable=False),  # YYYY-MM-DDTHH:MM (UTC); not "window", a word PostgreSQL keeps
    Column("sent", Integer, nullable=False),
    Column("digest_id", BigInteger),  # the inbox row folding the rest of this minute
)

alert_reads = Table(
    "alert_reads", metadata,
    Column("username", String(64), primary_key=True),
    Column("last_seen", BigInteger, nullable=False),
)

alert_cursors = Table(
    "alert_cursors", metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

TABLES = (alert_subscriptions, alert_keys, alert_inbox, alert_outbox, alert_throttle, alert_reads, alert_cursors)
