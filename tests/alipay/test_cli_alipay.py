"""`onboard-bot keygen` and `onboard-bot signature sign|verify` as a developer runs them: a
subprocess with a clean environment and a temporary working directory."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot.alipay.keys import parse_public_key

CLI_TIMEOUT = 60.0
APP_VARIABLES = ("DATABASE_URL", "HOST", "PORT", "LOG_LEVEL")

METHOD = "POST"
PATH = "/ams/api/v1/payments/pay"
CLIENT_ID = "SANDBOX_5YABC123"
REQUEST_TIME = "2026-11-25T10:00:00+08:00"
BODY = '{"paymentRequestId":"pay-1","order":{"note":"Clé «sandbox» 支付宝"}}\r\nsecond line\n'
REQUEST = (
    "--method",
    METHOD,
    "--path",
    PATH,
    "--client-id",
    CLIENT_ID,
    "--request-time",
    REQUEST_TIME,
)


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def clean_environment() -> dict[str, str]:
    """PATH, HOME and the like from our environment, without any setting of the bot's."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "ONBOARD_")) and name not in APP_VARIABLES
    }


def onboard_bot(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> Run:
    """`onboard-bot <args>`; stdin given as bytes so the body reaches it byte for byte."""
    cwd.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean_environment(), **(env or {})},
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    return Run(result.returncode, result.stdout.decode(), result.stderr.decode())


def one_line_error(result: Run) -> str:
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return lines[0]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def content_of(body: str, **changes: str) -> str:
    """The signed content, written out here independently of the bot."""
    parts = {
        "method": METHOD,
        "path": PATH,
        "client_id": CLIENT_ID,
        "request_time": REQUEST_TIME,
        "body": body,
    } | changes
    return (
        f"{parts['method']} {parts['path']}\n{parts['client_id']}.{parts['request_time']}."
        + (parts["body"])
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "cwd"
    path.mkdir()
    return path


@dataclass(frozen=True)
class Pair:
    private_key_file: Path
    public_key: str  # the one line keygen printed
    private: rsa.RSAPrivateKey


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """One key pair made by `keygen`, shared by the module's sign/verify tests."""
    workdir = tmp_path_factory.mktemp("keygen")
    result = onboard_bot("keygen", "--private-key-file", "merchant.pem", cwd=workdir)
    assert result.returncode == 0, result
    path = workdir / "merchant.pem"
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return Pair(path, result.stdout.strip(), private)


@pytest.fixture(scope="module")
def body_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("body") / "body.json"
    path.write_bytes(BODY.encode())
    return path


@pytest.fixture(scope="module")
def signature_header(pair: Pair, body_file: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The header value `signature sign` printed for BODY."""
    result = onboard_bot(
        "signature",
        "sign",
        "--private-key-file",
        str(pair.private_key_file),
        *REQUEST,
        "--body-file",
        str(body_file),
        cwd=tmp_path_factory.mktemp("sign"),
    )
    assert result.returncode == 0, result
    return result.stdout.strip()


def verify_cli(workdir: Path, public_key: str, signature: str, *extra: str, **kw) -> Run:
    return onboard_bot(
        "signature",
        "verify",
        "--public-key",
        public_key,
        "--signature",
        signature,
        *extra,
        cwd=workdir,
        **kw,
    )


# ---- keygen --------------------------------------------------------------------------------------


def test_keygen_prints_one_line_of_base64_for_an_rsa_2048_key(workdir: Path) -> None:
    result = onboard_bot("keygen", "--private-key-file", "merchant.pem", cwd=workdir)

    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    der = base64.b64decode(lines[0], validate=True)
    public = serialization.load_der_public_key(der)  # SubjectPublicKeyInfo
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048
    assert parse_public_key(lines[0]).bits == 2048
    # The private key file: owner-only PKCS#8 PEM, and the pair belongs together.
    path = workdir / "merchant.pem"
    assert mode_of(path) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    private = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.public_key().public_numbers() == public.public_numbers()
    # What was made and where goes to stderr, with the fingerprint; the key itself does not.
    assert "merchant.pem" in result.stderr
    assert parse_public_key(lines[0]).fingerprint in result.stderr
    assert "PRIVATE KEY-----" not in result.stdout + result.stderr


def test_keygen_with_a_passphrase_writes_an_encrypted_pkcs8_pem(workdir: Path) -> None:
    result = onboard_bot(
        "keygen",
        "--private-key-file",
        "merchant.pem",
        "--passphrase-env",
        "KEY_PASS",
        cwd=workdir,
        env={"KEY_PASS": "correct horse battery"},
    )

    assert result.returncode == 0, result
    path = workdir / "merchant.pem"
    assert mode_of(path) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    private = serialization.load_pem_private_key(pem, password=b"correct horse battery")
    assert isinstance(private, rsa.RSAPrivateKey)
    public = serialization.load_der_public_key(base64.b64decode(result.stdout.strip()))
    assert private.public_key().public_numbers() == public.public_numbers()
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, password=None)
    assert "correct horse" not in result.stdout + result.stderr


def test_keygen_refuses_to_overwrite_a_file(workdir: Path) -> None:
    path = workdir / "merchant.pem"
    path.write_bytes(b"a private key in use\n")

    result = onboard_bot("keygen", "--private-key-file", "merchant.pem", cwd=workdir)

    error = one_line_error(result)
    assert "merchant.pem" in error and "overwrite" in error
    assert result.stdout == ""
    assert path.read_bytes() == b"a private key in use\n"


def test_keygen_twice_keeps_the_first_key(workdir: Path) -> None:
    first = onboard_bot("keygen", "--private-key-file", "merchant.pem", cwd=workdir)
    assert first.returncode == 0, first
    pem = (workdir / "merchant.pem").read_bytes()

    second = onboard_bot("keygen", "--private-key-file", "merchant.pem", cwd=workdir)

    one_line_error(second)
    assert (workdir / "merchant.pem").read_bytes() == pem
    assert mode_of(workdir / "merchant.pem") == 0o600


@pytest.mark.parametrize("env", [{"KEY_PASS": ""}, {}], ids=["empty", "unset"])
def test_keygen_refuses_an_empty_passphrase_variable(workdir: Path, env: dict[str, str]) -> None:
    result = onboard_bot(
        "keygen",
        "--private-key-file",
        "merchant.pem",
        "--passphrase-env",
        "KEY_PASS",
        cwd=workdir,
        env=env,
    )

    assert "KEY_PASS" in one_line_error(result)
    assert not (workdir / "merchant.pem").exists()


def test_keygen_into_a_missing_directory_is_a_one_line_error(workdir: Path) -> None:
    result = onboard_bot("keygen", "--private-key-file", "no/such/dir/k.pem", cwd=workdir)

    assert "no/such/dir/k.pem" in one_line_error(result)


# ---- sign, then verify ---------------------------------------------------------------------------


def test_sign_prints_the_header_value(signature_header: str, pair: Pair) -> None:
    prefix = "algorithm=RSA256,keyVersion=1,signature="
    assert signature_header.startswith(prefix)
    value = signature_header.removeprefix(prefix)
    # Independently: unquote_plus, base64-decode, verify against the content written out here.
    raw = base64.b64decode(unquote_plus(value), validate=True)
    pair.private.public_key().verify(
        raw, content_of(BODY).encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_sign_from_stdin_equals_sign_from_a_file(
    pair: Pair, signature_header: str, workdir: Path
) -> None:
    result = onboard_bot(
        "signature",
        "sign",
        "--private-key-file",
        str(pair.private_key_file),
        *REQUEST,
        cwd=workdir,
        stdin=BODY.encode(),
    )

    assert result.returncode == 0, result
    assert result.stdout.strip() == signature_header


def test_verify_the_header_value_is_valid(
    pair: Pair, signature_header: str, body_file: Path, workdir: Path
) -> None:
    result = verify_cli(
        workdir, pair.public_key, signature_header, *REQUEST, "--body-file", str(body_file)
    )

    assert result.returncode == 0, result
    assert result.stdout == "valid\n"


def test_verify_with_the_body_on_stdin(pair: Pair, signature_header: str, workdir: Path) -> None:
    result = verify_cli(workdir, pair.public_key, signature_header, *REQUEST, stdin=BODY.encode())

    assert (result.returncode, result.stdout) == (0, "valid\n"), result


@pytest.mark.parametrize(
    "form",
    [
        "Signature: {header}",
        "  SIGNATURE :  ALGORITHM = RSA256 , KEYVERSION = 1 , SIGNATURE = {value}  ",
        "{value}",
    ],
    ids=["whole header", "upper case and spaces", "bare value"],
)
def test_verify_takes_the_whole_header_or_the_bare_value(
    form: str, pair: Pair, signature_header: str, body_file: Path, workdir: Path
) -> None:
    value = signature_header.rpartition("signature=")[2]
    text = form.format(header=signature_header, value=value)

    result = verify_cli(workdir, pair.public_key, text, *REQUEST, "--body-file", str(body_file))

    assert (result.returncode, result.stdout) == (0, "valid\n"), (text, result)


def test_verify_reads_the_public_key_from_a_file(
    pair: Pair, signature_header: str, body_file: Path, workdir: Path
) -> None:
    pem = pair.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (workdir / "alipay_public.pem").write_bytes(pem)
    (workdir / "alipay_public.txt").write_text(pair.public_key + "\n")

    for name in ("alipay_public.pem", "alipay_public.txt"):
        result = verify_cli(
            workdir, f"@{name}", signature_header, *REQUEST, "--body-file", str(body_file)
        )
        assert (result.returncode, result.stdout) == (0, "valid\n"), (name, result)


def test_a_signature_made_like_alipays_sdk_verifies(
    pair: Pair, body_file: Path, workdir: Path
) -> None:
    from urllib.parse import quote_plus

    raw = pair.private.sign(content_of(BODY).encode(), padding.PKCS1v15(), hashes.SHA256())
    value = quote_plus(base64.b64encode(raw).decode())

    result = verify_cli(
        workdir,
        pair.public_key,
        f"Signature: algorithm=RSA256, keyVersion=1, signature={value}",
        *REQUEST,
        "--body-file",
        str(body_file),
    )

    assert (result.returncode, result.stdout) == (0, "valid\n"), result


TAMPERED = {
    "body": {"body": BODY.replace("pay-1", "pay-2")},
    "body without its last newline": {"body": BODY[:-1]},
    "request time": {"request_time": "2026-11-25T10:00:01+08:00"},
    "path": {"path": "/ams/api/v1/payments/refund"},
}


@pytest.mark.parametrize("changes", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_request_exits_1_with_the_reason_and_the_signed_content(
    changes: dict[str, str], pair: Pair, signature_header: str, workdir: Path
) -> None:
    request = {
        "method": METHOD,
        "path": PATH,
        "client_id": CLIENT_ID,
        "request_time": REQUEST_TIME,
        "body": BODY,
    } | changes
    body = request.pop("body")
    (workdir / "body").write_bytes(body.encode())
    args = [f"--{name.replace('_', '-')}={value}" for name, value in request.items()]

    result = verify_cli(
        workdir, pair.public_key, signature_header, *args, "--body-file", str(workdir / "body")
    )

    assert result.returncode == 1, result
    assert result.stdout != "valid\n"
    assert "content mismatch" in result.stdout
    # The content as verified, so the developer can compare it with what their code signed.
    assert "signed content:" in result.stdout
    assert content_of(body, **{k: v for k, v in changes.items() if k != "body"}) in result.stdout


def test_a_signature_from_another_key_exits_1(
    signature_header: str, body_file: Path, workdir: Path
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    other_text = base64.b64encode(
        other.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()

    result = verify_cli(
        workdir, other_text, signature_header, *REQUEST, "--body-file", str(body_file)
    )

    assert result.returncode == 1, result
    assert "content mismatch" in result.stdout


@pytest.mark.parametrize(
    "key", ["not a key", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"], ids=["text", "cut"]
)
def test_a_malformed_key_exits_1_saying_so(
    key: str, signature_header: str, body_file: Path, workdir: Path
) -> None:
    result = verify_cli(workdir, key, signature_header, *REQUEST, "--body-file", str(body_file))

    assert result.returncode == 1, result
    assert "malformed key" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_truncated_signature_exits_1_saying_malformed(
    pair: Pair, signature_header: str, body_file: Path, workdir: Path
) -> None:
    result = verify_cli(
        workdir, pair.public_key, signature_header[:-20], *REQUEST, "--body-file", str(body_file)
    )

    assert result.returncode == 1, result
    assert "malformed signature" in result.stdout


def test_sign_with_an_encrypted_key_needs_its_passphrase(workdir: Path, body_file: Path) -> None:
    env = {"KEY_PASS": "s3cret pass"}
    made = onboard_bot(
        "keygen",
        "--private-key-file",
        "k.pem",
        "--passphrase-env",
        "KEY_PASS",
        cwd=workdir,
        env=env,
    )
    assert made.returncode == 0, made
    public = made.stdout.strip()

    signed = onboard_bot(
        "signature",
        "sign",
        "--private-key-file",
        "k.pem",
        "--passphrase-env",
        "KEY_PASS",
        *REQUEST,
        "--body-file",
        str(body_file),
        cwd=workdir,
        env=env,
    )
    assert signed.returncode == 0, signed
    assert (
        verify_cli(
            workdir, public, signed.stdout.strip(), *REQUEST, "--body-file", str(body_file)
        ).stdout
        == "valid\n"
    )

    without = onboard_bot(
        "signature",
        "sign",
        "--private-key-file",
        "k.pem",
        *REQUEST,
        "--body-file",
        str(body_file),
        cwd=workdir,
    )
    assert "k.pem" in one_line_error(without)
    assert without.stdout == ""


# ---- files that are not there -------------------------------------------------------------------

MISSING_FILE_BUG = (
    "BUG bot/__main__.py: a missing file crashes with a traceback instead of a one-line error: "
    "cmd_signature_verify reads `--public-key @FILE` (line 106) and _signature_inputs reads "
    "--body-file (line 98) without catching OSError, and cmd_signature_sign catches only "
    "ValueError/TypeError from load_private_key (line 135), not FileNotFoundError; catch "
    "OSError and raise SettingsError(f'cannot read {path}: {e.strerror}')"
)


def test_verify_with_a_missing_public_key_file_says_so(
    signature_header: str, body_file: Path, workdir: Path
) -> None:
    result = verify_cli(
        workdir, "@missing.pem", signature_header, *REQUEST, "--body-file", str(body_file)
    )

    assert result.returncode in (1, 2), result
    assert "Traceback" not in result.stderr
    assert "missing.pem" in result.stdout + result.stderr


def test_verify_with_a_missing_body_file_is_a_one_line_error(
    pair: Pair, signature_header: str, workdir: Path
) -> None:
    result = verify_cli(
        workdir, pair.public_key, signature_header, *REQUEST, "--body-file", "missing.json"
    )

    assert "missing.json" in one_line_error(result)


def test_sign_with_a_missing_private_key_file_is_a_one_line_error(
    body_file: Path, workdir: Path
) -> None:
    result = onboard_bot(
        "signature",
        "sign",
        "--private-key-file",
        "missing.pem",
        *REQUEST,
        "--body-file",
        str(body_file),
        cwd=workdir,
    )

    assert "missing.pem" in one_line_error(result)


# ---- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["keygen", "--help"],
        ["signature", "verify", "--help"],
        ["signature", "sign", "--help"],
        ["keys", "rotate", "--help"],
    ],
    ids=" ".join,
)
def test_help_exits_0(workdir: Path, argv: list[str]) -> None:
    result = onboard_bot(*argv, cwd=workdir)

    assert result.returncode == 0, result
    assert result.stdout.startswith("usage: onboard-bot")
