"""RSA keys the way Alipay's Developer Center takes them: checked, fingerprinted, generated."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.marked import N_

MIN_BITS = 2048
ACCEPTED = N_(
    "an RSA public key of at least 2048 bits, as one line of base64 (the form the Developer "
    "Center shows) or as PEM (-----BEGIN PUBLIC KEY-----)"
)


class KeyProblem(ValueError):
    """The text is not an acceptable public key; the message says what was expected. It is
    a marked message id and its params (`accepted` always the marked `ACCEPTED`), so a reply
    can translate it; `str()` is the English (the CLI and logs stay English)."""

    def __init__(self, msgid: str, /, **params: object) -> None:
        self.msgid, self.params = msgid, {"accepted": ACCEPTED, **params}
        super().__init__(msgid.format(**self.params))


@dataclass(frozen=True, slots=True)
class PublicKey:
    key: rsa.RSAPublicKey

    @property
    def bits(self) -> int:
        return self.key.key_size

    @property
    def der(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def one_line(self) -> str:
        """Base64 of the DER SubjectPublicKeyInfo: what to paste into the Developer Center."""
        return base64.b64encode(self.der).decode()

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.der).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    def describe(self) -> str:
        return f"RSA-{self.bits} {self.fingerprint}"


_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.S)


def parse_public_key(text: str) -> PublicKey:
    text = text.strip().strip("`").strip()
    match = _PEM.search(text)
    if match:
        label = match.group(1)
        if "PRIVATE" in label:
            raise KeyProblem(
                N_(
                    "That is a PRIVATE key: never paste it anywhere. Give the public key instead "
                    "({accepted})."
                )
            )
        try:
            # Both SubjectPublicKeyInfo and PKCS#1 ("RSA PUBLIC KEY") PEM load here.
            key = serialization.load_pem_public_key(match.group(0).encode())
        except ValueError:
            raise KeyProblem(
                N_("That PEM block is not a readable public key; expected {accepted}.")
            ) from None
    else:
        compact = "".join(text.split())
        if not compact:
            raise KeyProblem(N_("No key given; expected {accepted}."))
        try:
            der = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise KeyProblem(N_("That is not base64 or PEM; expected {accepted}.")) from None
        try:
            key = serialization.load_der_public_key(der)
        except ValueError:
            if _looks_private(der):
                raise KeyProblem(
                    N_(
                        "That looks like a PRIVATE key: never paste it anywhere. Give the public "
                        "key instead ({accepted})."
                    )
                ) from None
            raise KeyProblem(N_("That base64 is not a public key; expected {accepted}.")) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyProblem(N_("That is not an RSA key; expected {accepted}."))
    if key.key_size < MIN_BITS:
        raise KeyProblem(
            N_("That RSA key has {bits} bits; Alipay needs at least {least}."),
            bits=key.key_size,
            least=MIN_BITS,
        )
    return PublicKey(key)


def _looks_private(der: bytes) -> bool:
    try:
        serialization.load_der_private_key(der, password=None)
    except TypeError:
        return True  # a private key that wants its passphrase
    except ValueError:
        return False
    return True


def generate_key_pair(
    private_key_file: Path, passphrase: bytes | None = None, bits: int = MIN_BITS
) -> PublicKey:
    """Write a new private key (PKCS#8 PEM, owner-only) and return its public key.

    Refuses to overwrite an existing file: that would destroy a key in use.
    """
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    fd = os.open(private_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return PublicKey(private.public_key())


def load_private_key(path: Path, passphrase: bytes | None = None) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyProblem("{path} does not hold an RSA private key.", path=path)  # the CLI's only
    return key
