"""Alipay's request signature, as its official SDKs build and check it.

The signed content is `<METHOD> <path>\\n<client-id>.<request-time>.<body>`, signed with RSA
PKCS#1 v1.5 over SHA-256, base64-encoded and then URL-encoded, and carried in the header
`Signature: algorithm=RSA256,keyVersion=1,signature=<value>`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import quote_plus, unquote_plus

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot.alipay.keys import KeyProblem, parse_public_key


def signed_content(method: str, path: str, client_id: str, request_time: str, body: str) -> str:
    return f"{method.upper()} {path}\n{client_id}.{request_time}.{body}"


def sign(private_key: rsa.RSAPrivateKey, content: str) -> str:
    """The URL-encoded base64 signature of the content."""
    raw = private_key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())
    return quote_plus(base64.b64encode(raw).decode())


def header_value(signature: str, key_version: int = 1) -> str:
    return f"algorithm=RSA256,keyVersion={key_version},signature={signature}"


_FIELD = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^,]*)")


def signature_from(text: str) -> str:
    """The signature value from a whole `Signature:` header or the bare value, read
    tolerantly: any case, spaces around separators, a leading `Signature:`."""
    text = text.strip()
    text = re.sub(r"^signature\s*:", "", text, flags=re.I).strip()
    if "=" in text and re.search(r"(?i)\bsignature\s*=", text):
        for name, value in _FIELD.findall(text):
            if name.lower() == "signature":
                return value.strip()
    return text


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    reason: str  # "valid", or what is wrong, in words a developer can act on
    content: str  # what was (or should have been) signed, to compare with one's own


def verify(
    public_key_text: str,
    method: str,
    path: str,
    client_id: str,
    request_time: str,
    body: str,
    signature: str,
) -> Verdict:
    content = signed_content(method, path, client_id, request_time, body)
    try:
        key = parse_public_key(public_key_text)
    except KeyProblem as problem:
        return Verdict(False, f"malformed key: {problem}", content)
    value = signature_from(signature)
    # URL-encoded base64 has no literal "+"; an unencoded value does, and unquote_plus would
    # turn it into a space. Only a value with %-escapes is decoded.
    if "%" in value:
        value = unquote_plus(value)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return Verdict(
            False,
            "malformed signature: not URL-encoded base64 (check you copied the whole "
            "`signature=` value)",
            content,
        )
    if len(raw) != key.key.key_size // 8:
        return Verdict(
            False,
            f"malformed signature: {len(raw)} bytes, but an RSA-{key.bits} signature has "
            f"{key.key.key_size // 8} (a truncated header, or signed with another key size?)",
            content,
        )
    try:
        key.key.verify(raw, content.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return Verdict(
            False,
            "content mismatch: the signature does not match this content with this key. "
            "Compare the signed content below with what your code signs (method, path, "
            "client ID, request time and the exact body bytes), and check the key pair.",
            content,
        )
    return Verdict(True, "valid", content)
