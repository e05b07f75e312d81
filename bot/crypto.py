"""Secrets at rest: authenticated encryption with keys that can rotate.

`ONBOARD_ENCRYPTION_KEYS` holds one or more Fernet keys (AES-128-CBC with HMAC-SHA256),
comma-separated, newest first: the newest encrypts, any of them decrypts, and
`onboard-bot keys rotate` re-encrypts everything with the newest. Without the setting, the
first start writes a key to the data directory, readable by its owner only.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

logger = logging.getLogger(__name__)

KEY_FILE = "encryption.key"
# Encrypted with the keys and kept in the database, so a wrong key is found at start.
CANARY = "onboard-key-check"


class EncryptionKeyError(Exception):
    """The encryption keys are unusable; the message is one line naming the setting."""


@dataclass(frozen=True)
class Keyring:
    keys: tuple[Fernet, ...]

    @staticmethod
    def parse(text: str, source: str = "ONBOARD_ENCRYPTION_KEYS") -> Keyring:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts:
            raise EncryptionKeyError(f"{source} is empty; give one or more Fernet keys")
        keys = []
        for i, part in enumerate(parts, start=1):
            try:
                keys.append(Fernet(part.encode()))
            except (ValueError, TypeError):
                raise EncryptionKeyError(
                    f"{source} key {i} is not a Fernet key (32 url-safe base64 "
                    "bytes); make one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'"
                ) from None
        return Keyring(tuple(keys))

    @property
    def _multi(self) -> MultiFernet:
        return MultiFernet(list(self.keys))

    def encrypt(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Raises InvalidToken when none of the keys made it (or it was tampered with)."""
        return self._multi.decrypt(token.encode()).decode()

    def rotate(self, token: str) -> str:
        """The same secret, encrypted with the newest key."""
        return self._multi.rotate(token.encode()).decode()


def load_keyring(configured: str | None, data_dir: Path) -> Keyring:
    """The configured keys, or the data directory's key file, created on first start."""
    if configured:
        return Keyring.parse(configured)
    path = data_dir / KEY_FILE
    if path.exists():
        return Keyring.parse(path.read_text(), source=f"the key file {path}")
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # O_EXCL: never overwrite a key another process just wrote; 0600: owner only.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return Keyring.parse(path.read_text())
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    logger.warning(
        "no ONBOARD_ENCRYPTION_KEYS set: created a new encryption key in %s (owner-only). "
        "Back it up: without it the stored credentials cannot be read.",
        path,
    )
    return Keyring.parse(key.decode())


def check_canary(keyring: Keyring, stored: str | None) -> str | None:
    """Verify the stored canary decrypts; returns a new canary to store when there is none."""
    if stored is None:
        return keyring.encrypt(CANARY)
    try:
        if keyring.decrypt(stored) == CANARY:
            return None
    except InvalidToken:
        pass
    raise EncryptionKeyError(
        "ONBOARD_ENCRYPTION_KEYS cannot decrypt this database's credentials: wrong key? "
        "Put the key they were written with in the list (after the new one to rotate)"
    )
