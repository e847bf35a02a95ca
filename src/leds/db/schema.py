"""The one schema, for SQLite and PostgreSQL alike (SQLAlchemy Core).

Tables fall in three groups:

* the **log** (``log``) and the **keystore** (``record_keys``): the source of
  truth.  Each entry's record data is encrypted with a per-record key, so that erasing a
  record's personal data means destroying its key (crypto-shredding) and the
  log itself is never rewritten.
* **projections** (``records``, ``record_versions``, ``record_refs``), rebuilt by
  replaying the log (``leds rebuild``).
* **operational** state (``quarantine``, ``system_accounts``).

A record's key (``rkey``) is ``FORCE|SOURCE|type|ref``: the identity the
updategram contract gives every record.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid, so BIGINT there
# would lose autoincrement; PostgreSQL gets a real BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")

log = Table(
    "log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("force", String(8), nullable=False),
    Column("source", String(64), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("rkey", String(200), nullable=False),
    Column("rtype", String(16), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("op", String(8), nullable=False),
    Column("dataset", String(32)),
    Column("handling", String(24)),
    Column("sharing", String(8)),  # "force" or "national"; NULL for a delete
    Column("issued_at", String(32), nullable=False),
    Column("received_at", String(32), nullable=False),
    # HMAC-SHA256 of the canonical updategram: duplicate vs conflict.
    Column("content_hash", String(64), nullable=False),
    # The record's data (the personal data) sealed with AES-256-GCM: 12-byte
    # nonce then ciphertext; the key is in record_keys.  The envelope is in the
    # columns above, in clear.
    Column("payload", LargeBinary, nullable=False),
    UniqueConstraint("force", "source", "sequence", name="uq_log_force_source_sequence"),
)

record_keys = Table(
    "record_keys",
    metadata,
    Column("rkey", String(200), primary_key=True),
    Column("dek", LargeBinary),  # NULL once shredded
    Column("created_at", String(32), nullable=False),
    Column("shredded_at", String(32)),
    Column("shred_reason", Text),
    sqlite_with_rowid=False,
)

records = Table(
    "records",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rkey", String(200), nullable=False, unique=True),
    Column("force", String(8), nullable=False),
    Column("source", String(64), nullable=False),
    Column("rtype", String(16), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("dataset", String(32)),
    Column("handling", String(24)),
    Column("sharing", String(8)),
    Column("issued_at", String(32), nullable=False),
    Column("data", Text),  # canonical JSON (sorted keys); NULL when deleted or erased
)

record_versions = Table(
    "record_versions",
    metadata,
    Column("rkey", String(200), nullable=False),
    Column("force", String(8), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("sequence", BigInteger, primary_key=True),
    Column("op", String(8), nullable=False),
    Column("dataset", String(32)),
    Column("handling", String(24)),
    Column("issued_at", String(32), nullable=False),
    # No copy of the data: a version's content is read from its log entry
    # (force, source, sequence), so history is unreadable once shredded.
    sqlite_with_rowid=False,
)
Index("ix_record_versions_rkey", record_versions.c.rkey)

# Outgoing references of each record's current version (marker subject, link
# ends).  ``resolved`` is true while the target exists and is not deleted; a
# reference to a record not yet received is "parked" (resolved = false).
record_refs = Table(
    "record_refs",
    metadata,
    Column("rkey", String(200), primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("target", String(200), nullable=False),
    Column("resolved", Boolean, nullable=False),
)
# Covering (migration 0006): what points at a record, from the index alone.
Index("ix_record_refs_target", record_refs.c.target, record_refs.c.rkey, record_refs.c.role)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("raw_sha256", String(64), nullable=False),
    Column("origin", Text, nullable=False),  # file path, "-" for stdin, or "api:<account>"
    Column("line_no", BigInteger, nullable=False),
    Column("raw", LargeBinary),  # NULL when spilled to a file (oversized lines)
    Column("raw_path", Text),
    Column("raw_size", BigInteger, nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of reason codes
    Column("message", Text, nullable=False),
    Column("force", String(8)),
    Column("source", String(64)),
    Column("sequence", BigInteger),
    Column("first_seen", String(32), nullable=False),
    Column("last_seen", String(32), nullable=False),
    Column("times_seen", Integer, nullable=False, default=1),
    Column("status", String(12), nullable=False, default="open"),  # open | accepted | duplicate
    Column("resolved_at", String(32)),
)
Index("ix_quarantine_status", quarantine.c.status)
Index("ix_quarantine_raw_sha256", quarantine.c.raw_sha256)

# Machine credentials for force systems that POST updategrams.
system_accounts = Table(
    "system_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("force", String(8), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

# --- identity ----------------------------------------------------------------------------
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(200)),  # argon2id; NULL for accounts that sign in by OIDC only
    Column("oidc_subject", String(255), unique=True),  # "issuer|sub"
    Column("roles", Text, nullable=False),  # JSON list
    Column("force", String(8), nullable=False),
    Column("vetting", String(8), nullable=False),
    Column("datasets", Text, nullable=False),  # JSON list: entitlements, narrowing the roles' datasets
    Column("surname", String(100)),  # for misuse signals
    Column("postcode", String(10)),  # for misuse signals
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", String(32)),
    Column("created_at", String(32), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("scopes", Text, nullable=False),  # JSON list of actions
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("session_hash", String(64), nullable=False, unique=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("purpose", String(40)),  # the last reason given, remembered for the session
    Column("purpose_text", String(500)),
)

