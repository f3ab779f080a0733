"""Provider secrets encrypted at rest: a column type that encrypts on write and decrypts on read.

Values are stored as ``enc1:`` + base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag), with a key
derived (HKDF-SHA256) from the process's signing key, which ``services.signing_key.ensure`` hands
to :func:`use_key` at start-up (``STRMLINE_SECRET_KEY``, else the one key stored in the database,
so every process decrypts what any other wrote). What this protects: a copy of the database or
a backup of it without that key (set ``STRMLINE_SECRET_KEY`` to keep the key out of the database
altogether); a database read together with its stored key is not protected by this.

Values without the marker are clear text from before encryption: they are still read as they
are, and written encrypted on their next save (or by the start-up pass,
``services.provider_secrets.encrypt_clear``). Reading needs no change anywhere: ORM attributes
and selected columns come back decrypted. Comparisons against the column compare stored text
(see :meth:`EncryptedString.coerce_compared_value`), so never compare a secret in SQL.
"""

from __future__ import annotations

import base64
import logging
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

log = logging.getLogger(__name__)

MARKER = "enc1:"
_NONCE = 12
_TAG = 16
_INFO = b"strmline provider secrets v1"


class _Keyring:
    aead: AESGCM | None = None
    warned = False


def use_key(signing_key: str) -> None:
    """Derive this process's encryption key from the signing key (idempotent)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        signing_key.encode()
    )
    _Keyring.aead = AESGCM(key)
    _Keyring.warned = False


def has_key() -> bool:
    return _Keyring.aead is not None


def max_plain_bytes(column_length: int) -> int:
    """The longest secret (UTF-8 bytes) whose encrypted form fits ``column_length`` characters."""
    return (column_length - len(MARKER)) * 3 // 4 - _NONCE - _TAG


def encrypt(value: str) -> str:
    aead = _Keyring.aead
    if aead is None:
        raise RuntimeError("no encryption key loaded (services.signing_key.ensure not run)")
    nonce = os.urandom(_NONCE)
    sealed = nonce + aead.encrypt(nonce, value.encode(), _INFO)
    return MARKER + base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def decrypt(value: str) -> str | None:
    """The clear text of a stored value; None when it cannot be decrypted with this key."""
    if not value.startswith(MARKER):
        return value  # stored before encryption: clear text
    aead = _Keyring.aead
    if aead is None:
        _warn("a provider secret is encrypted but this process has no key loaded")
        return None
    data = value[len(MARKER) :]
    try:
        sealed = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        return aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], _INFO).decode()
    except (InvalidTag, ValueError):
        _warn(
            "a stored provider password cannot be decrypted with the current signing key (was "
            "STRMLINE_SECRET_KEY changed?); enter the provider's password again"
        )
        return None


def _warn(message: str) -> None:
    if not _Keyring.warned:
        _Keyring.warned = True
        log.warning(message)


class EncryptedString(TypeDecorator[str]):
    """A ``String(length)`` column holding an encrypted secret (clear text when no key is
    loaded, e.g. a test building rows without an app; the start-up pass encrypts those)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if not value or value.startswith(MARKER) or _Keyring.aead is None:
            return value
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        # Literals compared with the column (LIKE 'enc1:%', IS NULL) stay as written.
        return String()
