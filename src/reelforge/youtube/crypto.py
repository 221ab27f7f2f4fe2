"""Encryption at rest for OAuth tokens (Fernet: AES-128-CBC + HMAC-SHA256).

The key is `REELFORGE_YOUTUBE_TOKEN_KEY` when set (a urlsafe-base64 32-byte Fernet key, or
any passphrase, which is stretched with HKDF), otherwise it is derived with HKDF-SHA256 from
the instance secret (`REELFORGE_SECRET_KEY` or `data/secret.key`). Rotating the secret makes
stored tokens unreadable: the channels are then marked "reconnect needed", never crash.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from reelforge.config import Settings

_INFO = b"reelforge/youtube/oauth-token/v1"


class TokenDecryptError(Exception):
    """The stored ciphertext cannot be read with the current key (secret rotated or data corrupted)."""


def _derive(material: bytes) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"reelforge-youtube", info=_INFO).derive(material)
    return base64.urlsafe_b64encode(raw)


def fernet_key(settings: Settings) -> bytes:
    configured = settings.youtube_token_key.strip()
    if configured:
        try:
            if len(base64.urlsafe_b64decode(configured.encode())) == 32:
                return configured.encode()
        except (binascii.Error, ValueError):
            pass
        return _derive(configured.encode())
    return _derive(settings.effective_secret_key().encode())


class TokenCipher:
    def __init__(self, settings: Settings) -> None:
        self._fernet = Fernet(fernet_key(settings))

    def encrypt_text(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def decrypt_text(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise TokenDecryptError("stored token cannot be decrypted with the current key") from exc

    def encrypt_json(self, value: dict[str, Any]) -> str:
        return self.encrypt_text(json.dumps(value, separators=(",", ":")))

    def decrypt_json(self, token: str) -> dict[str, Any]:
        data = json.loads(self.decrypt_text(token))
        if not isinstance(data, dict):
            raise TokenDecryptError("stored token is not a JSON object")
        return data
