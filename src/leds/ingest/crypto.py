"""Per-record encryption of log payloads (crypto-shredding).

Every record key (``rkey``) gets its own random 256-bit data key in
``record_keys``.  Log payloads are sealed with AES-256-GCM under that key,
with the record key and sequence as associated data so that a payload cannot
be moved to another entry.  Destroying the data key makes every log entry of
that record unreadable while the log itself, its hashes and its order stay
untouched.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _aad(rkey: str, sequence: int) -> bytes:
    return f"{rkey}#{sequence}".encode()


def seal(key: bytes, rkey: str, sequence: int, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, _aad(rkey, sequence))


def open_sealed(key: bytes, rkey: str, sequence: int, payload: bytes) -> bytes:
    nonce, ciphertext = payload[:NONCE_BYTES], payload[NONCE_BYTES:]
    return AESGCM(key).decrypt(nonce, ciphertext, _aad(rkey, sequence))
