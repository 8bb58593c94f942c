"""Field-level encryption at rest and blind indexes for personal data (PIPL, see DESIGN.md).

* ``FieldCipher`` - AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce per value.  Tokens are
  compact ASCII, ``v1.<kid>.<base64url(nonce || ciphertext || tag)>`` (unpadded, canonical), so they
  fit a plain text column.  The caller-supplied ``context`` (e.g. ``b"party.id_number"``) is the
  GCM associated data: a ciphertext copied to another column/purpose fails to decrypt.  The key id
  lets keys rotate: new values are written under the primary key, old ones stay readable through
  ``others`` until re-encrypted.
* ``BlindIndex`` - HMAC-SHA256 (RFC 2104) of an already-normalized value under a separate key, for
  equality lookups ("find the party with this ID number") without decrypting.

Random nonces are safe for up to ~2**32 encryptions per key; rotate the primary key well before that.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["BlindIndex", "DecryptionError", "FieldCipher", "generate_key", "load_key"]

KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_VERSION = "v1"
_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class DecryptionError(ValueError):
    """A token is malformed, uses an unknown key id, or fails authentication (tampered/wrong context)."""


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode_canonical(text: str) -> bytes | None:
    """Decode unpadded base64url; ``None`` unless ``text`` is the one canonical encoding of its bytes."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    # Reject non-zero trailing bits so that every token has exactly one spelling.
    return raw if _b64url_encode(raw) == text else None


def _check_key(key: bytes, what: str) -> bytes:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"{what} must be exactly {KEY_BYTES} bytes")
    return key


def _check_kid(kid: str) -> str:
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise ValueError("key id must be 1-32 characters of [A-Za-z0-9_-]")
    return kid


def load_key(b64: str) -> bytes:
    """Decode a 32-byte key from urlsafe base64 (padding optional, surrounding whitespace ignored).

    Raises ``ValueError`` with a message that never contains the key material.
    """
    text = b64.strip().rstrip("=")
    raw = _b64url_decode_canonical(text)
    if raw is None:
        raise ValueError("key is not valid urlsafe base64")
    if len(raw) != KEY_BYTES:
        raise ValueError(f"key must decode to {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def generate_key() -> str:
    """Return a fresh random 32-byte key as padded urlsafe base64 (accepted by ``load_key``)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


class FieldCipher:
    """AES-256-GCM field encryption with key ids for rotation.

    ``primary`` is ``(kid, key)`` used for all new encryptions; ``others`` maps retired key ids to keys
    that are still accepted for decryption.
    """

    def __init__(self, primary: tuple[str, bytes], others: Mapping[str, bytes] | None = None) -> None:
        kid, key = primary
        self._primary_kid = _check_kid(kid)
        self._aeads: dict[str, AESGCM] = {self._primary_kid: AESGCM(_check_key(key, "primary key"))}
        for other_kid, other_key in (others or {}).items():
            _check_kid(other_kid)
            if other_kid == self._primary_kid:
                raise ValueError("a key id in 'others' duplicates the primary key id")
            self._aeads[other_kid] = AESGCM(_check_key(other_key, f"key {other_kid!r}"))

    @property
    def primary_kid(self) -> str:
        """Key id written into new tokens (lets a re-encryption job find stale rows)."""
        return self._primary_kid

    def __repr__(self) -> str:
        return f"FieldCipher(primary_kid={self._primary_kid!r}, kids={sorted(self._aeads)!r})"

    def encrypt(self, plaintext: str, *, context: bytes) -> str:
        """Encrypt ``plaintext`` bound to ``context``; returns ``v1.<kid>.<base64url(nonce+ct)>``."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aeads[self._primary_kid].encrypt(nonce, plaintext.encode("utf-8"), context)
        return f"{_VERSION}.{self._primary_kid}.{_b64url_encode(nonce + sealed)}"

    def decrypt(self, token: str, *, context: bytes) -> str:
        """Decrypt a token produced by ``encrypt`` with the same ``context``.

        Raises ``DecryptionError`` for a malformed token, an unknown key id, a wrong context or any
        modification of the token.
        """
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            raise DecryptionError("malformed token")
        _, kid, payload = parts
        aead = self._aeads.get(kid)
        if aead is None:
            raise DecryptionError("token uses an unknown key id")
        raw = _b64url_decode_canonical(payload)
        if raw is None or len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("malformed token")
        try:
            plain = aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context)
        except InvalidTag:
            raise DecryptionError("token failed authentication (tampered or wrong context)") from None
        return plain.decode("utf-8")


class BlindIndex:
    """Deterministic keyed digest for equality search over encrypted fields (HMAC-SHA256).

    Use a key distinct from every ``FieldCipher`` key, and normalize values first (e.g. with
    ``validate_resident_id`` / ``normalize_mobile``) so equal identifiers give equal digests.
    ``context`` separates indexes: the same value under two contexts gives unrelated digests.
    """

    def __init__(self, key: bytes) -> None:
        self._key = _check_key(key, "blind index key")

    def __repr__(self) -> str:
        return "BlindIndex(<key hidden>)"

    def compute(self, value: str, *, context: bytes) -> str:
        """Return the 64-char lowercase hex HMAC-SHA256 of ``len(context) || context || value``."""
        msg = len(context).to_bytes(4, "big") + context + value.encode("utf-8")
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()
