"""retention: the schedule keeps the classifier's inputs (type, dataset, kind, offence class,
and whether an undetected crime's rule applied) as one ``class_key`` text instead of five
columns, and no longer keeps the date a person turns 100 (no rule reads it; it would be read
from the record if one did).  Ingest binds every column of every row it writes, and that, not
the row's bytes, was most of the schedule's cost on ingest: 12 columns cost 3.3 us a row, 8
columns 2.1 us (bench/bench_retention.py, "ingest cost").

The table is rebuilt (SQLite cannot drop a primary-key table's columns in place, and keeps it
WITHOUT ROWID); every row is copied.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_CLASS = (
    "rtype || '|' || COALESCE(dataset, '') || '|' || COALESCE(REPLACE(kind, '|', '/'), '') || '|' "
    "|| COALESCE(offence_class, '') || '|' "
    "|| CASE WHEN substr(rule, 1, 10) = 'UNDETECTED' THEN '1' ELSE '0' END"
)


def _set_aside() -> None:
    op.rename_table("retention_schedule", "retention_schedule_old")
    if op.get_bind().dialect.name == "postgresql":  # constraint names are the schema's, not the table's
        op.execute("ALTER INDEX pk_retention_schedule RENAME TO pk_retention_schedule_old")


def _create(*middle: sa.Column) -> None:  # type: ignore[type-arg]
    """The schedule with the columns of one revision between its key and its answer."""
    op.create_table(
        "retention_schedule",
        sa.Column("rkey", sa.String(200), nullable=False),
        sa.Column("force", sa.String(8), nullable=False),
        *middle,
        sa.Column("review_group", sa.String(12), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("rules_version", sa.String(16), nullable=False),
        sa.Column("review_on", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("rkey", name=op.f("pk_retention_schedule")),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    _set_aside()
    _create(sa.Column("class_key", sa.String(120), nullable=False), sa.Column("basis", sa.String(10), nullable=False))
    op.execute(
        "INSERT INTO retention_schedule (rkey, force, class_key, basis, review_group, rule, rules_version, "  # noqa: S608
        f"review_on) SELECT rkey, force, {_CLASS}, basis, review_group, rule, rules_version, review_on "
        "FROM retention_schedule_old"
    )
    op.drop_table("retention_schedule_old")


def downgrade() -> None:
    _set_aside()
    _create(
        sa.Column("rtype", sa.String(16), nullable=False),
        sa.Column("dataset", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("offence_class", sa.String(24), nullable=True),
        sa.Column("basis", sa.String(10), nullable=False),
        sa.Column("age100", sa.String(10), nullable=True),
    )
    bind = op.get_bind()
    rows = bind.exec_driver_sql(
        "SELECT rkey, force, class_key, basis, review_group, rule, rules_version, review_on "
        "FROM retention_schedule_old"
    )
    insert = sa.text(
        "INSERT INTO retention_schedule VALUES (:rkey, :force, :rtype, :dataset, :kind, :oc, :basis, NULL, "
        ":grp, :rule, :ver, :on)"
    )
    batch = []
    for rkey, force, key, basis, grp, rule, ver, on in rows.fetchall():
        rtype, dataset, kind, oc, _undetected = key.split("|")
        batch.append({"rkey": rkey, "force": force, "rtype": rtype, "dataset": dataset or None,
                      "kind": kind or None, "oc": oc or None, "basis": basis, "grp": grp, "rule": rule,
                      "ver": ver, "on": on})
    if batch:
        bind.execute(insert, batch)
    op.drop_table("retention_schedule_old")
