"""Go-live (step 3.4) and business-start (step 5.1) announcements.

Marking the step puts the announcement in the outbox in the same transaction. When the app
serves, the mark's follow-up sends it at once (bot/followup.py); the test harness holds it for
the next pass unless a test sets `send_queued`: these tests say which.
Reminders are off in every application here, so each pass posts announcements only.
"""

from __future__ import annotations

from bot.outbox_messages import BusinessStart, BusinessStartNoContacts, GoLive, Undeliverable
from tests.scheduler.conftest import Post, Sim, utc
from tests.slack_stub import SlackStub


async def new_application(sim: Sim) -> None:
    await sim.command("new Acme POS")
    await sim.command("remind off")


def posts_to_chat(slack: SlackStub) -> int:
    return len(slack.calls_to("chat.postMessage"))


async def test_go_live_is_announced_once_then_withdrawn_by_unmark_and_announced_again(
    sim: Sim, slack: SlackStub
) -> None:
    """UBOB marks 3.4 (--force: no question) Mon 11-30 18:00 UTC: nothing posted by the mark
    itself (no kick in the harness); the 18:01 pass posts one go-live to #CPAY, and a second
    mark posts nothing. UALICE unmarks it at 18:05: the 18:06 pass updates that message to say
    she withdrew it (and posts nothing); marked again at 18:10, the 18:11 pass announces again."""
    await new_application(sim)
    await sim.command("mark 3.4 --force", user="UBOB", at=utc(2026, 11, 30, 18))
    assert posts_to_chat(slack) == 0

    first = await sim.run_pass(utc(2026, 11, 30, 18, 1))

    (announcement,) = first.posts
    assert (announcement.kind, announcement.channel) == (GoLive.KIND, "CPAY")
    assert announcement.text == "Acme POS is live in production"
    assert announcement.markdown == (
        "🚀 *Acme POS* is live in production! <@UBOB> marked step 3.4 (launch) on 2026-11-30. "
        "Next: pilot testing with a live account."
    )
    await sim.command("mark 3.4 --force", at=utc(2026, 11, 30, 18, 2))
    assert (await sim.run_pass(utc(2026, 11, 30, 18, 3))).posts == []

    unmarked = await sim.command("unmark 3.4", at=utc(2026, 11, 30, 18, 5))
    assert "Withdrawn: the announcement of 3.4" in unmarked.text
    withdrawn = await sim.run_pass(utc(2026, 11, 30, 18, 6))

    assert withdrawn.posts == []
    (update,) = slack.calls_to("chat.update")
    (ts,) = slack.messages["CPAY"]
    assert (update.args["channel"], update.args["ts"]) == ("CPAY", ts)
    assert update.args["text"] == "Withdrawn: Acme POS, step 3.4 was marked not done"
    assert [b["elements"][0]["text"] if "elements" in b else b["text"]["text"]
            for b in slack.messages["CPAY"][ts]["blocks"]] == [
        "↩️ *Withdrawn* by <@UALICE> on 2026-11-30: step 3.4 of *Acme POS* was marked not "
        "done, so this no longer holds.",
        "It said: ~🚀 *Acme POS* is live in production!~ (<@UBOB> marked step 3.4 on "
        "2026-11-30.)",
    ]  # fmt: skip

    await sim.command("mark 3.4 --force", at=utc(2026, 11, 30, 18, 10))
    again = await sim.run_pass(utc(2026, 11, 30, 18, 11))
    next_day = await sim.run_pass(utc(2026, 12, 1, 18))

    assert [(p.kind, p.channel) for p in again.posts] == [(GoLive.KIND, "CPAY")]
    assert next_day.posts == []
    app_id = await sim.application_id("acme-pos")
    assert [(m.kind, m.dedupe_key, m.status) for m in await sim.outbox()] == [
        (GoLive.KIND, f"go-live:{app_id}:withdrawn:1", "sent"),
        ("announcement-withdrawn", "announcement-withdrawn:1", "sent"),
        (GoLive.KIND, f"go-live:{app_id}", "sent"),
    ]


async def test_go_live_goes_out_right_after_the_mark_when_the_app_kicks_the_outbox(
    sim: Sim, slack: SlackStub
) -> None:
    """With delivery wired as `onboard-bot run` wires it, marking 3.4 Mon 18:00 UTC posts
    the go-live without any pass; the next pass (18:01) posts nothing."""
    sim.app.send_queued = sim.runner.deliverer.deliver_queued
    await new_application(sim)

    await sim.command("mark 3.4 --force", at=utc(2026, 11, 30, 18))

    (posted,) = await slack.wait_for("chat.postMessage")
    assert (posted.args["channel"], posted.args["text"]) == (
        "CPAY",
        "Acme POS is live in production",
    )
    later = await sim.run_pass(utc(2026, 11, 30, 18, 1))
    assert later.posts == []
    assert posts_to_chat(slack) == 1


async def test_a_mark_sends_at_once_only_what_it_queued(sim: Sim, slack: SlackStub) -> None:
    """Acme's go-live, queued while nothing sent at once, waits in the outbox. Then, with
    delivery wired as `onboard-bot run` wires it, UCAROL marks 3.4 of Beta in #COTHER: only
    Beta's go-live is posted right away; Acme's goes at the next pass."""
    await new_application(sim)
    await sim.command("mark 3.4 --force", at=utc(2026, 11, 30, 18))
    (acme_go_live,) = sim.app.held
    sim.app.send_queued = sim.runner.deliverer.deliver_queued
    await sim.command("new Beta", user="UCAROL", channel="COTHER")
    await sim.command("remind off", user="UCAROL", channel="COTHER")

    await sim.command(
        "mark 3.4 --force", user="UCAROL", channel="COTHER", at=utc(2026, 11, 30, 18, 5)
    )

    (posted,) = await slack.wait_for("chat.postMessage")
    assert (posted.args["channel"], posted.args["text"]) == ("COTHER", "Beta is live in production")
    pending = [m.id for m in await sim.outbox() if m.status == "pending"]
    assert pending == [acme_go_live]
    later = await sim.run_pass(utc(2026, 11, 30, 18, 6))
    assert [(p.channel, p.text) for p in later.posts] == [
        ("CPAY", "Acme POS is live in production")
    ]


async def mark_through_pilot(sim: Sim) -> None:
    """Go live Mon 11-30, pilot 4.1 Tue 12-01, 4.2 and 4.3 Wed 12-02 (all 18:00 UTC)."""
    await sim.command("mark 3.4 --force", user="UBOB", at=utc(2026, 11, 30, 18))
    await sim.command("mark 4.1", user="UBOB", at=utc(2026, 12, 1, 18))
    await sim.command("mark 4.2 4.3", user="UBOB", at=utc(2026, 12, 2, 18))


PILOT = (
    "*Pilot testing*\n"
    "• 4.1 Download wallet app: done 2026-12-01\n"
    "• 4.2 Prepare live account: done 2026-12-02\n"
    "• 4.3 Complete pilot testing: done 2026-12-02"
)


def business_start_blocks(post: Post) -> list[str]:
    return [b["text"]["text"] for b in post.blocks]


async def test_business_start_goes_to_the_contacts_channel_once_mentioning_the_contacts(
    sim: Sim, slack: SlackStub
) -> None:
    """Contacts UCAROL and UMEI, contacts channel #CALIPAY; go-live Mon 11-30, pilot Tue–Wed;
    UALICE marks 5.1 Thu 12-03 18:00 UTC; the 18:01 pass posts the go-live to #CPAY and one
    business-start to #CALIPAY; unmark/mark 5.1 and a pass at 18:10 post nothing."""
    slack.add_user("UMEI", tz="Asia/Shanghai")
    await new_application(sim)
    reply = await sim.command("contacts add <@UCAROL|carol> <@UMEI|mei>")
    assert "<@UCAROL>, <@UMEI>" in reply.text
    reply = await sim.command("contacts channel <#CALIPAY|alipay-team>")
    assert "goes to <#CALIPAY>" in reply.text
    await mark_through_pilot(sim)
    await sim.command("mark 5.1 --force", at=utc(2026, 12, 3, 18))

    result = await sim.run_pass(utc(2026, 12, 3, 18, 1))

    assert sorted((p.kind, p.channel) for p in result.posts) == [
        (BusinessStart.KIND, "CALIPAY"),
        (GoLive.KIND, "CPAY"),
    ]
    (announcement,) = [p for p in result.posts if p.kind == BusinessStart.KIND]
    assert announcement.text == "Acme POS has started business"
    assert business_start_blocks(announcement) == [
        "Acme POS has started business",
        "<@UCAROL> <@UMEI> *Acme POS* is activated for business, so Alipay can start monitoring "
        "it for unexpected errors.",
        "*Production client ID:* `not recorded in Onboard`\n"
        "*Went live:* 2026-11-30\n"
        "*Business started:* 2026-12-03 (marked by <@UALICE>)",
        PILOT,
    ]

    # Unmarked and marked again: the first is updated to say it was withdrawn, and the
    # second announces anew.
    await sim.command("unmark 5.1", at=utc(2026, 12, 3, 18, 5))
    await sim.command("mark 5.1 --force", at=utc(2026, 12, 3, 18, 5))
    again = await sim.run_pass(utc(2026, 12, 3, 18, 10))
    assert [(p.kind, p.channel) for p in again.posts] == [(BusinessStart.KIND, "CALIPAY")]
    (update,) = slack.calls_to("chat.update")
    assert update.args["channel"] == "CALIPAY"
    assert update.args["text"] == "Withdrawn: Acme POS, step 5.1 was marked not done"


async def test_business_start_without_a_contacts_channel_is_a_dm_to_each_contact(
    sim: Sim, slack: SlackStub
) -> None:
    """Contacts UCAROL and UMEI, no contacts channel; go-live and pilot as above; 5.1 marked Thu
    12-03 18:00 UTC; the 18:01 pass posts exactly one DM to each contact, both naming both."""
    slack.add_user("UMEI", tz="Asia/Shanghai")
    await new_application(sim)
    await sim.command("contacts add <@UCAROL|carol> <@UMEI|mei>")
    await mark_through_pilot(sim)
    await sim.run_pass(utc(2026, 12, 2, 18, 1))  # the go-live
    await sim.command("mark 5.1 --force", at=utc(2026, 12, 3, 18))

    result = await sim.run_pass(utc(2026, 12, 3, 18, 1))

    assert sorted(p.channel for p in result.posts) == ["UCAROL", "UMEI"]
    assert {p.kind for p in result.posts} == {BusinessStart.KIND}
    for dm in result.posts:
        blocks = business_start_blocks(dm)
        assert blocks[1].startswith("<@UCAROL> <@UMEI> *Acme POS* is activated for business")
        assert "*Went live:* 2026-11-30" in blocks[2]
        assert blocks[3] == PILOT


async def test_business_start_with_no_contacts_tells_the_application_channel_once(
    sim: Sim,
) -> None:
    """No contacts at all; 5.1 marked Mon 11-30 18:00 UTC; the 18:01 pass posts one note to
    #CPAY saying nobody could be told and how to fix it; a pass at 18:30 posts nothing."""
    await new_application(sim)
    await sim.command("mark 5.1 --force", at=utc(2026, 11, 30, 18))

    result = await sim.run_pass(utc(2026, 11, 30, 18, 1))
    again = await sim.run_pass(utc(2026, 11, 30, 18, 30))

    (note,) = result.posts
    assert (note.kind, note.channel) == (BusinessStartNoContacts.KIND, "CPAY")
    assert note.markdown.startswith(
        "*Acme POS* has started business, but it has no Alipay contacts to tell."
    )
    assert "/onboard contacts add @person" in note.markdown
    assert again.posts == []


async def test_a_contacts_channel_the_bot_cannot_post_in_is_reported_once_to_the_app_channel(
    sim: Sim, slack: SlackStub
) -> None:
    """Contacts channel #CALIPAY; 5.1 marked Mon 18:00 UTC; Slack answers not_in_channel at the
    18:01 pass: recorded as failed; the 18:02 pass tells #CPAY once; later passes nothing."""
    await new_application(sim)
    await sim.command("contacts add <@UCAROL|carol>")
    await sim.command("contacts channel <#CALIPAY|alipay-team>")
    await sim.command("mark 5.1 --force", at=utc(2026, 11, 30, 18))
    slack.fail("chat.postMessage", error="not_in_channel")

    failed = await sim.run_pass(utc(2026, 11, 30, 18, 1))
    told = await sim.run_pass(utc(2026, 11, 30, 18, 2))
    later = await sim.run_pass(utc(2026, 11, 30, 19))

    assert failed.posts == []
    assert (failed.report.delivery.sent, failed.report.delivery.failed) == (0, 1)
    (notice,) = told.posts
    assert (notice.kind, notice.channel) == (Undeliverable.KIND, "CPAY")
    assert notice.markdown.startswith(
        "I couldn't deliver a business start to <#CALIPAY> (Slack said `not_in_channel`)."
    )
    assert later.posts == []
    statuses = {m.kind: (m.status, m.last_error) for m in await sim.outbox()}
    assert statuses == {
        BusinessStart.KIND: ("failed", "not_in_channel"),
        Undeliverable.KIND: ("sent", None),
    }


async def test_business_start_names_the_production_client_id_when_it_is_stored(
    sim: Sim, slack: SlackStub
) -> None:
    """Production client ID stored with `creds set` Wed; contacts channel #CALIPAY; go-live and
    pilot as above; 5.1 marked Thu 12-03 18:00 UTC: the 18:01 pass's announcement shows it."""
    await new_application(sim)
    reply = await sim.command("creds set production client-id 2021000122612345")
    assert reply.text.startswith("Saved for ")
    await sim.command("contacts add <@UCAROL|carol>")
    await sim.command("contacts channel <#CALIPAY|alipay-team>")
    await mark_through_pilot(sim)
    await sim.command("mark 5.1 --force", at=utc(2026, 12, 3, 18))

    result = await sim.run_pass(utc(2026, 12, 3, 18, 1))

    (announcement,) = [p for p in result.posts if p.kind == BusinessStart.KIND]
    # Masked like everywhere else: enough for Alipay to recognise, never the whole credential.
    shown = business_start_blocks(announcement)[2]
    assert "*Production client ID:* `2021…2345`" in shown
    assert "2021000122612345" not in shown
