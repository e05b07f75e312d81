"""Alipay's request signature: the signed content, signing, the header, and verification,
checked against a signature built independently the way Alipay's SDK builds it."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alipay.signature import (
    Verdict,
    header_value,
    sign,
    signature_from,
    signed_content,
    verify,
)

METHOD = "POST"
PATH = "/ams/api/v1/payments/pay"
CLIENT_ID = "SANDBOX_5YABC123"
REQUEST_TIME = "2026-11-25T10:00:00+08:00"
BODY = '{"paymentRequestId":"pay-1","paymentAmount":{"currency":"USD","value":"100"}}'

_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def private_key(name: str = "merchant") -> rsa.RSAPrivateKey:
    """RSA-2048 keys made once per module and name: generation is slow."""
    if name not in _KEYS:
        _KEYS[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEYS[name]


def public_text(name: str = "merchant") -> str:
    der = (
        private_key(name)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(der).decode()


def sdk_content(method: str, path: str, client_id: str, request_time: str, body: str) -> str:
    """The content as Alipay's SDK builds it, written out here independently."""
    return method + " " + path + "\n" + client_id + "." + request_time + "." + body


def sdk_signature(key: rsa.RSAPrivateKey, content: str) -> str:
    """As Alipay's SDK signs: PKCS#1 v1.5 over SHA-256, base64, then quote_plus."""
    raw = key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return quote_plus(base64.b64encode(raw).decode())


def sdk_verify(key: rsa.RSAPublicKey, content: str, signature: str) -> None:
    """As Alipay's SDK verifies: unquote_plus, base64-decode, verify (raises if invalid)."""
    raw = base64.b64decode(unquote_plus(signature))
    key.verify(raw, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())


def check(signature: str, **changes: str) -> Verdict:
    request = {
        "method": METHOD,
        "path": PATH,
        "client_id": CLIENT_ID,
        "request_time": REQUEST_TIME,
        "body": BODY,
    } | changes
    key = request.pop("public_key_text", public_text())
    return verify(key, signature=signature, **request)


@pytest.fixture(scope="module")
def good() -> str:
    """The URL-encoded signature of the standard request, made by `sign`."""
    return sign(private_key(), signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY))


# ---- content, sign, header ---------------------------------------------------------------------


def test_signed_content_is_method_path_newline_client_id_time_body() -> None:
    content = signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY)

    assert content == (
        "POST /ams/api/v1/payments/pay\n"
        "SANDBOX_5YABC123.2026-11-25T10:00:00+08:00."
        '{"paymentRequestId":"pay-1","paymentAmount":{"currency":"USD","value":"100"}}'
    )
    assert content == sdk_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY)


def test_signed_content_keeps_the_body_exactly() -> None:
    body = ' {"a": "Clé 支付宝"}\r\n\n '

    content = signed_content("GET", "/x", "C1", "T", body)

    assert content == "GET /x\nC1.T." + body
    assert content.endswith(body)


def test_signed_content_with_an_empty_body_ends_with_a_dot() -> None:
    assert signed_content("GET", "/v1/q", "C", "1700000000", "") == "GET /v1/q\nC.1700000000."


def test_sign_gives_url_encoded_base64_of_a_2048_bit_signature(good: str) -> None:
    assert set(good) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%"), (
        "not URL-encoded: + / = must be %-escaped"
    )
    raw = base64.b64decode(unquote_plus(good), validate=True)
    assert len(raw) == 256


def test_sign_matches_the_sdk_byte_for_byte(good: str) -> None:
    # PKCS#1 v1.5 is deterministic, so the same key and content give the same signature.
    content = sdk_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY)

    assert good == sdk_signature(private_key(), content)


def test_sign_output_verifies_independently(good: str) -> None:
    content = sdk_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY)

    sdk_verify(private_key().public_key(), content, good)  # raises when invalid


def test_header_value_format(good: str) -> None:
    assert header_value(good) == f"algorithm=RSA256,keyVersion=1,signature={good}"
    assert header_value("abc", key_version=2) == "algorithm=RSA256,keyVersion=2,signature=abc"


# ---- round trip and compatibility --------------------------------------------------------------


def test_round_trip_is_valid(good: str) -> None:
    verdict = check(good)

    assert verdict == Verdict(
        True, "valid", signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY)
    )


def test_a_signature_made_like_alipays_sdk_verifies() -> None:
    body = '{"notifyType":"PAYMENT_RESULT","result":{"resultStatus":"S"},"note":"支付宝"}'
    content = sdk_content("POST", "/alipay/notify/acme", "SANDBOX_5YABC123", "1732500000", body)
    signature = sdk_signature(private_key("alipay"), content)

    verdict = verify(
        public_text("alipay"),
        "POST",
        "/alipay/notify/acme",
        "SANDBOX_5YABC123",
        "1732500000",
        body,
        header_value(signature),
    )

    assert verdict.valid, verdict.reason


def test_verify_accepts_a_pem_public_key(good: str) -> None:
    pem = (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    assert check(good, public_key_text=pem).valid


# ---- tolerant header parsing -------------------------------------------------------------------


HEADERS = {
    "header value": "algorithm=RSA256,keyVersion=1,signature={sig}",
    "whole header": "Signature: algorithm=RSA256,keyVersion=1,signature={sig}",
    "whole header with spaces": "Signature: algorithm=RSA256, keyVersion=1, signature={sig}",
    "lower-case names": "signature: algorithm=RSA256,keyversion=1,signature={sig}",
    "upper-case names": "SIGNATURE: ALGORITHM=RSA256,KEYVERSION=1,SIGNATURE={sig}",
    "spaces everywhere": "  Signature :  algorithm = RSA256 , keyVersion = 1 , signature = {sig} ",
    "signature first": "signature={sig},algorithm=RSA256,keyVersion=1",
    "only the signature field": "signature={sig}",
    "bare value": "{sig}",
    "bare value with spaces and newline": "  {sig} \n",
}


@pytest.mark.parametrize("template", HEADERS.values(), ids=HEADERS.keys())
def test_signature_from_reads_headers_tolerantly(template: str, good: str) -> None:
    assert signature_from(template.format(sig=good)) == good


@pytest.mark.parametrize("template", HEADERS.values(), ids=HEADERS.keys())
def test_verify_reads_headers_tolerantly(template: str, good: str) -> None:
    verdict = check(template.format(sig=good))

    assert verdict.valid, verdict.reason


def test_signature_from_keeps_an_unencoded_value_whole(good: str) -> None:
    raw = unquote_plus(good)  # plain base64, with + / and = padding

    assert signature_from(header_value(raw)) == raw
    assert signature_from(f"Signature: algorithm=RSA256, keyVersion=1, signature={raw}") == raw
    assert signature_from(raw) == raw


def test_verify_accepts_a_value_percent_encoded_with_quote(good: str) -> None:
    # urllib's quote() leaves / as it is; only + and = are escaped.
    value = quote(unquote_plus(good))

    assert check(value).valid
    assert check(header_value(value)).valid


def _body_whose_signature_has_a_plus() -> tuple[str, str]:
    """A body and its URL-encoded signature whose plain base64 has a `+` (most do)."""
    for n in range(100):
        body = f'{{"n":{n}}}'
        value = sign(private_key(), signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, body))
        if "%2B" in value:
            return body, value
    raise AssertionError("no signature with a + in 100 tries")


@pytest.mark.parametrize("whole_header", [False, True], ids=["bare value", "whole header"])
def test_verify_accepts_an_unencoded_value_with_plus(whole_header: bool) -> None:
    body, encoded = _body_whose_signature_has_a_plus()
    raw = unquote_plus(encoded)
    assert "+" in raw
    text = f"Signature: algorithm=RSA256, keyVersion=1, signature={raw}" if whole_header else raw

    verdict = check(text, body=body)

    assert verdict.valid, verdict.reason


# ---- failures, each with its reason ------------------------------------------------------------


TAMPERED = {
    "body": {"body": BODY.replace("100", "1000")},
    "body with a trailing newline": {"body": BODY + "\n"},
    "body with a trailing space": {"body": BODY + " "},
    "method": {"method": "PUT"},
    "path": {"path": "/ams/api/v1/payments/inquiryPayment"},
    "path with a trailing slash": {"path": PATH + "/"},
    "client id": {"client_id": "SANDBOX_5YABC124"},
    "request time": {"request_time": "2026-11-25T10:00:01+08:00"},
}


@pytest.mark.parametrize("changes", TAMPERED.values(), ids=TAMPERED.keys())
def test_tampered_requests_are_a_content_mismatch(changes: dict[str, str], good: str) -> None:
    verdict = check(good, **changes)

    assert not verdict.valid
    assert verdict.reason.startswith("content mismatch"), verdict.reason
    expected = {
        "method": METHOD,
        "path": PATH,
        "client_id": CLIENT_ID,
        "request_time": REQUEST_TIME,
        "body": BODY,
    } | changes
    assert verdict.content == signed_content(**expected)


def test_a_signature_from_another_key_is_a_content_mismatch() -> None:
    content = signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY)
    other = sign(private_key("someone else"), content)

    verdict = check(other)

    assert not verdict.valid
    assert verdict.reason.startswith("content mismatch"), verdict.reason


def test_checking_against_another_public_key_is_a_content_mismatch(good: str) -> None:
    verdict = check(good, public_key_text=public_text("someone else"))

    assert verdict.reason.startswith("content mismatch"), verdict.reason


def test_a_signature_from_a_3072_bit_key_is_malformed_for_a_2048_bit_key() -> None:
    bigger = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    signature = sign(bigger, signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY))

    verdict = check(signature)

    assert verdict.reason.startswith("malformed signature"), verdict.reason
    assert "384" in verdict.reason and "256" in verdict.reason


MALFORMED_SIGNATURES = {
    "truncated to half": lambda sig: sig[: len(sig) // 2],
    "truncated by one character": lambda sig: sig[:-1],
    "truncated inside a %-escape": lambda sig: sig[: sig.rindex("%") + 2],
    # Whole base64 quads that decode, but to too few bytes.
    "truncated to 200 base64 characters": lambda sig: quote_plus(unquote_plus(sig)[:200]),
    "not base64": lambda sig: "this is not a signature!",
    "non-base64 characters": lambda sig: "*" * 344,
    "empty": lambda sig: "",
    "empty signature field": lambda sig: "algorithm=RSA256,keyVersion=1,signature=",
}


@pytest.mark.parametrize("spoil", MALFORMED_SIGNATURES.values(), ids=MALFORMED_SIGNATURES.keys())
def test_malformed_signatures_say_so(spoil, good: str) -> None:
    verdict = check(spoil(good))

    assert not verdict.valid
    assert verdict.reason.startswith("malformed signature"), verdict.reason
    assert verdict.content == signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY)


def test_a_short_signature_gives_its_length(good: str) -> None:
    verdict = check(quote_plus(unquote_plus(good)[:200]))

    assert verdict.reason.startswith("malformed signature: 150 bytes"), verdict.reason
    assert "256" in verdict.reason


MALFORMED_KEYS = {
    "empty": lambda: "",
    "text": lambda: "our public key",
    "random base64": lambda: base64.b64encode(b"\x30" * 100).decode(),
    "private key PEM": lambda: (
        private_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    ),
}


@pytest.mark.parametrize("make", MALFORMED_KEYS.values(), ids=MALFORMED_KEYS.keys())
def test_malformed_keys_say_so(make, good: str) -> None:
    verdict = check(good, public_key_text=make())

    assert not verdict.valid
    assert verdict.reason.startswith("malformed key"), verdict.reason
    assert verdict.content == signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, BODY)


def test_a_1024_bit_key_is_a_malformed_key(good: str) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    text = base64.b64encode(
        small.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()

    verdict = check(good, public_key_text=text)

    assert verdict.reason.startswith("malformed key"), verdict.reason
    assert "2048" in verdict.reason


# ---- property: any body round-trips, and any one-character change breaks it --------------------


BODIES = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\n", "\r", " ", "\t", "{", '"', ".", "é", "支", "🙂"]),
    ),
    max_size=200,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, data=st.data())
def test_any_body_round_trips_and_any_one_character_change_breaks_it(
    body: str, data: st.DataObject
) -> None:
    content = signed_content(METHOD, PATH, CLIENT_ID, REQUEST_TIME, body)
    signature = sign(private_key(), content)
    assert verify(public_text(), METHOD, PATH, CLIENT_ID, REQUEST_TIME, body, signature).valid

    change = data.draw(
        st.sampled_from(["replace", "insert", "delete"] if body else ["insert"]), label="change"
    )
    at = data.draw(st.integers(0, len(body) - (0 if change == "insert" else 1)), label="at")
    if change == "delete":
        changed = body[:at] + body[at + 1 :]
    else:
        char = data.draw(
            st.characters(codec="utf-8").filter(lambda c: change == "insert" or c != body[at]),
            label="char",
        )
        changed = body[:at] + char + body[at + (1 if change == "replace" else 0) :]
    assert changed != body

    verdict = verify(public_text(), METHOD, PATH, CLIENT_ID, REQUEST_TIME, changed, signature)
    assert not verdict.valid
    assert verdict.reason.startswith("content mismatch")
