"""Public keys as Alipay's Developer Center takes them: accepted formats, refused ones with a
message saying what was expected, fingerprints, and key pairs made by `generate_key_pair`."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import stat
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bot.alipay.keys import (
    KeyProblem,
    PublicKey,
    generate_key_pair,
    load_private_key,
    parse_public_key,
)

Encoding = serialization.Encoding
PublicFormat = serialization.PublicFormat
PrivateFormat = serialization.PrivateFormat


# ---- test keys, made once per module (RSA generation is slow) ----------------------------------


_RSA_KEYS: dict[int, rsa.RSAPrivateKey] = {}


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    if bits not in _RSA_KEYS:
        _RSA_KEYS[bits] = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _RSA_KEYS[bits]


@functools.cache
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def spki_der(bits: int = 2048) -> bytes:
    return rsa_key(bits).public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def one_line(bits: int = 2048) -> str:
    return base64.b64encode(spki_der(bits)).decode()


def spki_pem(bits: int = 2048) -> str:
    return (
        rsa_key(bits)
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def pkcs1_pem(bits: int = 2048) -> str:
    return rsa_key(bits).public_key().public_bytes(Encoding.PEM, PublicFormat.PKCS1).decode()


def private_pem(fmt: serialization.PrivateFormat) -> str:
    return rsa_key().private_bytes(Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def private_der_base64(fmt: serialization.PrivateFormat) -> str:
    der = rsa_key().private_bytes(Encoding.DER, fmt, serialization.NoEncryption())
    return base64.b64encode(der).decode()


def expected_fingerprint(der: bytes) -> str:
    """Computed here, independently: `SHA256:` and unpadded standard base64 of the digest."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


# ---- accepted ----------------------------------------------------------------------------------


ACCEPTED: dict[str, Callable[[], str]] = {
    "one-line base64 DER SPKI": lambda: one_line(),
    "base64 wrapped at 64 columns": lambda: "\n".join(textwrap.wrap(one_line(), 64)),
    "base64 wrapped with CRLF and indentation": lambda: "\r\n    ".join(
        textwrap.wrap(one_line(), 76)
    ),
    "PEM SPKI": lambda: spki_pem(),
    "PEM PKCS#1 RSA PUBLIC KEY": lambda: pkcs1_pem(),
    "PEM with CRLF line endings": lambda: spki_pem().replace("\n", "\r\n"),
    "surrounded by whitespace": lambda: f"  \n\t{one_line()} \n\n",
    "PEM surrounded by whitespace": lambda: f"\n\n  {spki_pem()}\n  ",
    "in backticks": lambda: f"`{one_line()}`",
    "in a code block": lambda: f"```\n{spki_pem()}```",
    "in a code block with spaces around": lambda: f"  ```\n{one_line()}\n```  \n",
}


@pytest.mark.parametrize("make", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepted_formats_give_the_same_key(make: Callable[[], str]) -> None:
    key = parse_public_key(make())

    assert isinstance(key, PublicKey)
    assert key.bits == 2048
    assert key.der == spki_der()
    assert key.one_line == one_line()
    assert key.fingerprint == expected_fingerprint(spki_der())


@pytest.mark.parametrize("bits", [2048, 3072, 4096])
@pytest.mark.parametrize("form", ["one line", "PEM", "PKCS#1 PEM"])
def test_key_sizes_of_2048_bits_and_more_are_accepted(bits: int, form: str) -> None:
    text = {"one line": one_line, "PEM": spki_pem, "PKCS#1 PEM": pkcs1_pem}[form](bits)

    key = parse_public_key(text)

    assert key.bits == bits
    assert key.der == spki_der(bits)
    assert key.describe() == f"RSA-{bits} {expected_fingerprint(spki_der(bits))}"


# ---- refused, with a message that says what was expected ---------------------------------------


def _truncate_pem_body() -> str:
    """A PEM block whose base64 lost its last lines (the END line is still there)."""
    lines = spki_pem().splitlines()
    return "\n".join([*lines[:3], lines[-1]]) + "\n"


def _truncate_pem_end() -> str:
    """A PEM cut off halfway, without its END line."""
    return spki_pem()[: len(spki_pem()) // 2]


REFUSED: dict[str, tuple[Callable[[], str], str]] = {
    # name: (text, a word the message must contain about what was wrong or expected)
    "1024-bit RSA PEM": (
        lambda: (
            rsa.generate_private_key(public_exponent=65537, key_size=1024)
            .public_key()
            .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
            .decode()
        ),
        "2048",
    ),
    "EC P-256 PEM": (
        lambda: (
            ec_key()
            .public_key()
            .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
            .decode()
        ),
        "RSA",
    ),
    "EC P-256 one line": (
        lambda: base64.b64encode(
            ec_key().public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        ).decode(),
        "RSA",
    ),
    "random base64": (lambda: base64.b64encode(os.urandom(294)).decode(), "public key"),
    "text": (lambda: "please find our public key attached", "public key"),
    "empty string": (lambda: "", "public key"),
    "only whitespace and backticks": (lambda: "  ``  \n", "public key"),
    "truncated PEM body": (_truncate_pem_body, "public key"),
    "truncated PEM without END": (_truncate_pem_end, "public key"),
    "one line with a character missing": (lambda: one_line()[:-5] + one_line()[-4:], "public key"),
}


@pytest.mark.parametrize("make, word", REFUSED.values(), ids=REFUSED.keys())
def test_refused_keys_say_what_was_expected(make: Callable[[], str], word: str) -> None:
    with pytest.raises(KeyProblem) as refused:
        parse_public_key(make())

    message = str(refused.value)
    assert word in message
    # Every refusal names what would be accepted: an RSA key of at least 2048 bits.
    assert "2048" in message, message
    assert "RSA" in message, message
    assert "\n" not in message


def test_1024_bit_key_message_gives_its_size() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    text = base64.b64encode(
        small.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).decode()

    with pytest.raises(KeyProblem, match=r"1024 bits.*at least 2048"):
        parse_public_key(text)


PRIVATE: dict[str, Callable[[], str]] = {
    "PEM PKCS#8": lambda: private_pem(PrivateFormat.PKCS8),
    "PEM PKCS#1": lambda: private_pem(PrivateFormat.TraditionalOpenSSL),
    "PEM PKCS#8 in backticks": lambda: f"```\n{private_pem(PrivateFormat.PKCS8)}```",
    "PEM encrypted PKCS#8": lambda: (
        rsa_key()
        .private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
        )
        .decode()
    ),
    "base64 DER PKCS#8": lambda: private_der_base64(PrivateFormat.PKCS8),
    "base64 DER PKCS#1": lambda: private_der_base64(PrivateFormat.TraditionalOpenSSL),
    "base64 DER PKCS#8 wrapped": lambda: "\n".join(
        textwrap.wrap(private_der_base64(PrivateFormat.PKCS8), 64)
    ),
}


@pytest.mark.parametrize("make", PRIVATE.values(), ids=PRIVATE.keys())
def test_private_keys_are_refused_as_private_without_echoing_them(
    make: Callable[[], str],
) -> None:
    text = make()

    with pytest.raises(KeyProblem) as refused:
        parse_public_key(text)

    message = str(refused.value)
    assert "PRIVATE" in message
    assert "public key" in message
    # Nothing of the key comes back: no PEM block, no run of its base64.
    assert "-----" not in message.replace("-----BEGIN PUBLIC KEY-----", "")
    body = "".join(
        line for line in text.splitlines() if line and "-----" not in line and "`" not in line
    )
    for start in range(0, len(body) - 16, 16):
        assert body[start : start + 16] not in message


def test_base64_of_an_encrypted_private_key_is_refused_as_private() -> None:
    der = rsa_key().private_bytes(
        Encoding.DER, PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )

    with pytest.raises(KeyProblem, match="PRIVATE"):
        parse_public_key(base64.b64encode(der).decode())


# ---- fingerprints and descriptions -------------------------------------------------------------


def test_fingerprint_is_unpadded_base64_of_sha256_of_the_der() -> None:
    key = parse_public_key(one_line())
    fingerprint = key.fingerprint

    assert fingerprint == expected_fingerprint(spki_der())
    assert fingerprint.startswith("SHA256:")
    digest_text = fingerprint.removeprefix("SHA256:")
    assert len(digest_text) == 43 and "=" not in digest_text
    assert base64.b64decode(digest_text + "=") == hashlib.sha256(spki_der()).digest()


def test_fingerprint_is_the_same_whatever_the_format() -> None:
    prints = {parse_public_key(make()).fingerprint for make in ACCEPTED.values()}

    assert prints == {expected_fingerprint(spki_der())}


def test_different_keys_have_different_fingerprints() -> None:
    assert parse_public_key(one_line(2048)).fingerprint != (
        parse_public_key(one_line(3072)).fingerprint
    )


def test_describe_gives_size_and_fingerprint() -> None:
    key = parse_public_key(spki_pem())

    assert key.describe() == f"RSA-2048 {expected_fingerprint(spki_der())}"


def test_one_line_is_base64_der_spki_on_one_line() -> None:
    key = parse_public_key(pkcs1_pem())

    assert "\n" not in key.one_line
    assert base64.b64decode(key.one_line, validate=True) == spki_der()
    assert serialization.load_der_public_key(base64.b64decode(key.one_line)).public_numbers() == (
        rsa_key().public_key().public_numbers()
    )


# ---- generate_key_pair and load_private_key ----------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generate_key_pair_writes_an_owner_only_pkcs8_pem(tmp_path: Path) -> None:
    path = tmp_path / "merchant.pem"

    public = generate_key_pair(path)

    assert mode_of(path) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert pem.rstrip().endswith(b"-----END PRIVATE KEY-----")
    private = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    assert private.public_key().public_numbers() == public.key.public_numbers()
    assert public.bits == 2048
    # The one line the Developer Center takes reads back as the same key.
    again = parse_public_key(public.one_line)
    assert (again.der, again.fingerprint) == (public.der, public.fingerprint)
    assert load_private_key(path).public_key().public_numbers() == public.key.public_numbers()


def test_generate_key_pair_with_a_passphrase_encrypts_the_key(tmp_path: Path) -> None:
    path = tmp_path / "merchant.pem"

    public = generate_key_pair(path, passphrase=b"correct horse")

    assert mode_of(path) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert b"correct horse" not in pem
    loaded = load_private_key(path, b"correct horse")
    assert loaded.public_key().public_numbers() == public.key.public_numbers()
    with pytest.raises(TypeError):
        load_private_key(path)
    with pytest.raises(ValueError):
        load_private_key(path, b"wrong horse")


def test_generate_key_pair_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "merchant.pem"
    path.write_bytes(b"a key in use\n")
    path.chmod(0o644)

    with pytest.raises(FileExistsError):
        generate_key_pair(path)

    assert path.read_bytes() == b"a key in use\n"
    assert mode_of(path) == 0o644


def test_load_private_key_refuses_a_non_rsa_key(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec_key().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, serialization.NoEncryption())
    )

    with pytest.raises(KeyProblem, match="RSA private key"):
        load_private_key(path)
