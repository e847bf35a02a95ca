"""alerts: subscriptions, their match index, the in-app inbox, the delivery outbox,
throttle windows, read marks and the watch follower's cursor (leds.alerts).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("team", sa.String(40)),
        sa.Column("force", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("target", sa.String(200)),
        sa.Column("spec", sa.Text()),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_on", sa.String(10), nullable=False),
        sa.Column("webhook_url", sa.Text()),
        sa.Column("email", sa.String(254)),
        sa.Column("max_per_minute", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", sa.String(32)),
    )
    op.create_index("ix_alert_subscriptions_owner", "alert_subscriptions", ["owner"])
    op.create_table(
        "alert_keys",
        sa.Column("key", sa.String(240), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "subscription_id", name=op.f("pk_alert_keys")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "alert_inbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.BigInteger()),
        sa.Column("owner", sa.String(64)),
        sa.Column("team", sa.String(40)),
        sa.Column("force", sa.String(8)),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("person_id", sa.String(200)),
        sa.Column("rkey", sa.String(200)),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(120), nullable=False),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_alert_inbox_idempotency_key")),
    )
    op.create_index("ix_alert_inbox_owner_id", "alert_inbox", ["owner", "id"])
    op.create_index("ix_alert_inbox_team_id", "alert_inbox", ["team", "force", "id"])
    op.create_index("ix_alert_inbox_subscription_id", "alert_inbox", ["subscription_id", "id"])
    op.create_table(
        "alert_outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("inbox_id", sa.BigInteger(), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(120), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.String(32), nullable=False),
        sa.Column("relayed_at", sa.String(32)),
        sa.Column("claimed_at", sa.String(32)),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("delivered_at", sa.String(32)),
        sa.Column("last_error", sa.Text()),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_alert_outbox_idempotency_key")),
    )
    op.create_index("ix_alert_outbox_state_next_at", "alert_outbox", ["state", "next_at"])
    op.create_table(
        "alert_throttle",
        sa.Column("subscription_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("minute", sa.String(16), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("digest_id", sa.BigInteger()),
    )
    op.create_table(
        "alert_reads",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "alert_cursors",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for name in ("alert_cursors", "alert_reads", "alert_throttle", "alert_outbox", "alert_inbox", "alert_keys",
                 "alert_subscriptions"):
        op.drop_table(name)
