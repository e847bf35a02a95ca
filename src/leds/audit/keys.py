"""The audit signing key (Ed25519) and the checkpoint message.

The private key lives in ``LEDS_HOME/secrets/audit-signing.key`` (PKCS#8 PEM,
mode 0600), created on first use.  The public key is exported with
``leds audit public-key`` so that an auditor can verify checkpoints with a key
they hold themselves, not one read from the server being audited.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from leds.config import Settings

KEY_FILE = "audit-signing.key"


class AuditKeyError(RuntimeError):
    """The signing or verification key is missing or unreadable."""


def checkpoint_message(seq: int, entry_id: int, entry_hash: str, count: int, at: str) -> bytes:
    """The exact bytes a checkpoint signs (documented in docs/audit.md)."""
    return f"leds-audit-checkpoint:v1:{seq}:{entry_id}:{count}:{entry_hash}:{at}".encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_pem(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise AuditKeyError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError("the public key is not an Ed25519 key")
    return key


@dataclass(frozen=True)
class Signer:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


def verify_signature(public: Ed25519PublicKey, message: bytes, signature_hex: str) -> bool:
    try:
        public.verify(bytes.fromhex(signature_hex), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def key_path(settings: Settings) -> Path:
    return settings.secrets_dir / KEY_FILE


def get_signer(settings: Settings) -> Signer:
    """The signing key, created (0600) on first use.  Safe against two processes
    creating it at once: the file appears atomically, and the loser uses the winner's."""
    settings.ensure_home()
    path = key_path(settings)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic; fails if another process got there first
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise AuditKeyError(f"cannot read the audit signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"{path} is not an Ed25519 private key")
    return Signer(key)


def existing_public_key(settings: Settings) -> Ed25519PublicKey | None:
    """The public half of the signing key if it exists (never creates one)."""
    return get_signer(settings).public if key_path(settings).exists() else None
