"""bot/usecases/credentials.py: show (members), the form and saving (owner or admin only),
and the stored key a signature diagnosis checks with; real keyring, real database."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update

from bot.services import credentials as stored_credentials
from bot.usecases import applications, checklist, credentials
from bot.usecases.context import Actor, Deps
from storage.models import Application, Credential
from tests.harness import RunningApp
from tests.slack_stub import SlackStub
from tests.usecases.conftest import ACCESS_REFUSALS, Db, forget_people, named


def _public_key(bits: int = 2048) -> str:
    """A public key as the Developer Center shows it: one line of base64 DER."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


SANDBOX_KEY, SANDBOX_ALIPAY_KEY, PRODUCTION_KEY, PRODUCTION_ALIPAY_KEY = (
    _public_key() for _ in range(4)
)
SANDBOX_CLIENT_ID = "SANDBOX_5Y3A2N2YEB3002022"
PRODUCTION_CLIENT_ID = "5Y3A2N2YEB3007744"
PRODUCTION = {
    ("production", "client_id"): PRODUCTION_CLIENT_ID,
    ("production", "public_key"): PRODUCTION_KEY,
    ("production", "alipay_public_key"): PRODUCTION_ALIPAY_KEY,
}


async def _stored(app: RunningApp) -> dict[tuple[str, str], str]:
    assert app.runtime.keyring is not None
    async with app.runtime.sessions() as session:
        rows = await session.scalars(select(Credential))
        return {(r.environment, r.field): app.runtime.keyring.decrypt(r.ciphertext) for r in rows}


def _intents(deps: Deps, actor: Actor, ref) -> dict:
    value = {("sandbox", "client_id"): SANDBOX_CLIENT_ID}
    return {
        "show": lambda: credentials.show(deps, actor, ref),
        "open_form": lambda: credentials.open_form(deps, actor, ref),
        "save": lambda: credentials.save(deps, actor, ref, value),
        "diagnosis_target": lambda: credentials.diagnosis_target(deps, actor, ref),
        "stored_key": lambda: credentials.stored_key(deps, actor, ref, "sandbox", "public_key"),
    }


@pytest.mark.parametrize(("who", "ref", "says"), ACCESS_REFUSALS)
@pytest.mark.parametrize("intent", ["show", "open_form", "save", "diagnosis_target", "stored_key"])
async def test_every_credentials_intent_refuses_who_may_not_see_the_application(
    deps: Deps, refuses, request, application: Application, intent, who, ref, says
) -> None:
    actor, ref = named(request, application, who, ref)
    await refuses(_intents(deps, actor, ref)[intent](), says)


@pytest.mark.parametrize("intent", ["open_form", "save"])
async def test_a_member_who_is_not_the_owner_may_not_change_credentials(
    deps: Deps, refuses, member: Actor, application: Application, intent
) -> None:
    await refuses(
        _intents(deps, member, application.id)[intent](),
        "(<@UALICE>) or a workspace admin can change the credentials of it",
    )


@pytest.mark.parametrize("ref", ["id", "slug"])
async def test_the_credentials_of_an_archived_application_are_not_saved(
    deps: Deps, refuses, owner: Actor, application: Application, ref
) -> None:
    await applications.archive(deps, owner, application.id)
    named_as = application.id if ref == "id" else application.slug
    await refuses(_intents(deps, owner, named_as)["save"](), "archived")


async def test_the_owner_saves_encrypted_values_and_members_see_them_masked(
    deps: Deps, db: Db, app: RunningApp, owner: Actor, member: Actor, application: Application
) -> None:
    assert {shown for *_, shown in (await credentials.show(deps, member, None)).rows} == {"not set"}
    saved = await credentials.save(
        deps, owner, None, {("sandbox", "client_id"): f"  {SANDBOX_CLIENT_ID} "}
    )
    assert saved.steps_ready == ["1.3"]  # its one credential is set: offered for marking
    ((environment, field, masked),) = saved.values
    assert (environment, field) == ("sandbox", "client_id")
    assert masked.startswith("SANDBOX_") and masked != SANDBOX_CLIENT_ID
    assert await _stored(app) == {("sandbox", "client_id"): SANDBOX_CLIENT_ID}
    snapshot = await db.snapshot()
    assert SANDBOX_CLIENT_ID not in repr(snapshot), "stored or recorded in the clear"
    shown = dict(((e, f), v) for e, f, v in (await credentials.show(deps, member, "acme-pos")).rows)
    assert shown["sandbox", "client_id"] == masked and shown["production", "client_id"] == "not set"
    (event,) = await db.events(application.id, "credential_set")
    assert (event.actor_id, event.new_value) == ("UALICE", "sandbox.client_id")
    assert (await credentials.open_form(deps, owner, application.id)).rows == (
        await credentials.show(deps, member, application.id)
    ).rows


async def test_a_step_is_offered_only_once_all_its_credentials_are_set_and_it_is_open(
    deps: Deps, owner: Actor, application: Application
) -> None:
    one = await credentials.save(deps, owner, None, {("sandbox", "public_key"): SANDBOX_KEY})
    assert one.steps_ready == []  # 1.4 needs Alipay's key too
    both = {("sandbox", "alipay_public_key"): SANDBOX_ALIPAY_KEY}
    assert (await credentials.save(deps, owner, None, both)).steps_ready == ["1.4"]
    await checklist.mark(deps, owner, None, ["1.4"])
    assert (await credentials.save(deps, owner, None, both)).steps_ready == []


async def test_a_workspace_admin_opens_the_form_and_saves(
    deps: Deps, app: RunningApp, slack: SlackStub, member: Actor, application: Application
) -> None:
    slack.add_user("UBOB", is_admin=True)
    forget_people(deps)
    assert len((await credentials.open_form(deps, member, application.id)).rows) == 8
    await credentials.save(deps, member, application.id, PRODUCTION)
    assert await _stored(app) == PRODUCTION


@pytest.mark.parametrize(
    ("environment", "field", "value", "says"),
    [
        ("sandbox", "client_id", PRODUCTION_CLIENT_ID, "starts with `SANDBOX_`"),
        ("production", "client_id", SANDBOX_CLIENT_ID, "does not start with `SANDBOX_`"),
        ("sandbox", "client_id", "ab", "4–64 letters"),
        ("sandbox", "public_key", "not a key", "That sandbox merchant public key was refused"),
        ("production", "public_key", _public_key(1024), "1024 bits"),
        ("sandbox", "notify_url", "http://pay.example.com/notify", "must be an https://"),
    ],
)
async def test_an_invalid_value_saves_nothing_of_the_lot(
    deps: Deps, refuses, owner: Actor, application: Application, environment, field, value, says
) -> None:
    """Every value is checked first: a valid client ID given with a bad one is not saved, and
    the message never repeats the value."""
    values = {("sandbox", "alipay_public_key"): SANDBOX_ALIPAY_KEY, (environment, field): value}
    message = await refuses(credentials.save(deps, owner, application.id, values), says)
    assert value not in message


@pytest.mark.parametrize(
    "key", [("staging", "client_id"), ("sandbox", "password")], ids=["environment", "field"]
)
async def test_an_unknown_environment_or_field_is_refused(
    deps: Deps, refuses, owner: Actor, application: Application, key
) -> None:
    """The use case takes plain arguments from any surface: a credential it does not know is
    refused like a bad value, not stored (nor a crash)."""
    await refuses(credentials.save(deps, owner, application.id, {key: PRODUCTION_CLIENT_ID}))


async def test_nothing_to_save_or_no_keyring_is_refused(
    deps: Deps, app: RunningApp, refuses, monkeypatch, owner: Actor, application: Application
) -> None:
    await refuses(credentials.save(deps, owner, application.id, {}), "Give at least one value")
    monkeypatch.setattr(app.runtime, "keyring", None)
    await refuses(credentials.save(deps, owner, None, PRODUCTION), "keys are not loaded")
    await refuses(credentials.show(deps, owner, None), "keys are not loaded")


async def test_the_go_live_gate_opens_once_production_credentials_differ_from_sandbox(
    deps: Deps, db: Db, refuses, owner: Actor, member: Actor, application: Application
) -> None:
    await credentials.save(deps, owner, None, {("sandbox", "public_key"): SANDBOX_KEY})
    same = PRODUCTION | {("production", "public_key"): SANDBOX_KEY}
    await credentials.save(deps, owner, None, same)
    await refuses(
        checklist.mark(deps, member, None, ["3.5"]),
        "the production merchant public key is the same as the sandbox one",
    )
    await credentials.save(deps, owner, None, PRODUCTION)
    assert (await checklist.mark(deps, member, None, ["3.5"])).outcome.changed == ["3.5"]
    assert await db.events(application.id, "forced") == []


async def test_a_member_diagnosing_gets_the_stored_key(
    deps: Deps, owner: Actor, member: Actor, application: Application
) -> None:
    await credentials.save(deps, owner, None, {("sandbox", "public_key"): SANDBOX_KEY})
    assert (await credentials.diagnosis_target(deps, member, "acme-pos")).id == application.id
    key = await credentials.stored_key(deps, member, application.id, "sandbox", "public_key")
    assert key == SANDBOX_KEY


@pytest.mark.parametrize(
    ("environment", "field", "says"),
    [
        ("staging", "public_key", "Pick one of the stored public keys"),
        ("sandbox", "client_id", "Pick one of the stored public keys"),
        ("production", "alipay_public_key", "No production Alipay public key is stored"),
    ],
)
async def test_stored_key_refuses_what_is_not_a_stored_public_key(
    deps: Deps, refuses, owner: Actor, application: Application, environment, field, says
) -> None:
    await credentials.save(deps, owner, None, {("sandbox", "client_id"): SANDBOX_CLIENT_ID})
    await refuses(credentials.stored_key(deps, owner, None, environment, field), says)


async def test_a_key_the_keyring_cannot_read_is_refused(
    deps: Deps, db: Db, refuses, owner: Actor, application: Application
) -> None:
    await credentials.save(deps, owner, None, {("sandbox", "public_key"): SANDBOX_KEY})
    async with db.sessions.begin() as session:
        await session.execute(update(Credential).values(ciphertext="gAAAAAnot-a-token"))
    await refuses(
        credentials.stored_key(deps, owner, None, "sandbox", "public_key"), "cannot be read here"
    )


async def test_marking_the_gated_step_alone_reads_the_credentials_once(
    deps: Deps, monkeypatch, owner: Actor, member: Actor, application: Application
) -> None:
    """`mark 3.5` announces nothing, so it asks nothing first: the gate is checked (and the
    credentials decrypted) once, by the mark itself."""
    await credentials.save(deps, owner, None, PRODUCTION)
    reads = []
    real_load = stored_credentials.load

    async def counted_load(*args, **kwargs):
        reads.append(args)
        return await real_load(*args, **kwargs)

    monkeypatch.setattr(stored_credentials, "load", counted_load)
    assert (await checklist.mark(deps, member, None, ["3.5"])).outcome.changed == ["3.5"]
    assert len(reads) == 1
