"""Text of the command's replies: pure functions from results to Slack mrkdwn."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.days import on_day
from bot.blocks.mrkdwn import (
    channel_mention,
    escape_mrkdwn,
    fit_mrkdwn,
    person_mention,
    user_mention,
    user_text,
)
from bot.checklists import Template
from bot.i18n import ENGLISH, ENGLISH_TRANSLATOR, N_, Translator
from bot.services.checklist import MarkOutcome, SkipOutcome
from bot.services.listing import Listing
from storage.models import Application, Event

MAX_SECTION_TEXT = 3000
# How much of a name or title a reply shows, escaped: a name of MAX_NAME (80) plain characters
# is never cut; one full of `&` or `<` is, so a reply's length stays bounded.
MAX_NAME_TEXT = 100
MAX_TITLE_TEXT = 200
MAX_VALUE_TEXT = 80  # a value in a history line: an old or new name, a note, a time zone
MAX_REASON_TEXT = 500  # a skip's reason in a reply (the history shows MAX_VALUE_TEXT of it)


_UTC = ZoneInfo("UTC")


def app_label(application: Application) -> str:
    name = user_text(application.name, MAX_NAME_TEXT)
    return f"*{name}* (`{escape_mrkdwn(application.slug)}`)"


def step_label(template: Template, number: str, t: Translator) -> str:
    """`3.4 _title_`, the title in `t`'s language (English when the template has none)."""
    title = template.step(number).title_in(t.language)
    return f"{escape_mrkdwn(number)} _{user_text(title, MAX_TITLE_TEXT)}_"


# A reply names each step with its title when it lists a few; more (`mark 1 2 3`) only by
# number, so that marking a whole template still answers within one reply.
MAX_TITLED_STEPS = 5


def _steps(template: Template, numbers: Sequence[str], t: Translator) -> str:
    if len(numbers) > MAX_TITLED_STEPS:
        return t._(", ").join(escape_mrkdwn(n) for n in numbers)
    return t._(", ").join(step_label(template, n, t) for n in numbers)


def _progress(application: Application, outcome: MarkOutcome, t: Translator) -> str:
    skipped_count = outcome.skipped_count
    return _at(application, outcome.done_count + skipped_count, skipped_count, outcome.total, t)


def _at(
    application: Application, complete: int, skipped_count: int, total: int, t: Translator
) -> str:
    """Where the application is: steps done or skipped of all, saying how many are skipped."""
    values = {"application": app_label(application), "complete": complete, "total": total}
    if skipped_count:
        return t._(
            "{application} is at {complete}/{total} ({skipped} skipped).",
            skipped=skipped_count,
            **values,
        )
    return t._("{application} is at {complete}/{total}.", **values)


def marked(
    application: Application,
    template: Template,
    outcome: MarkOutcome,
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    lines = []
    if outcome.changed:
        lines.append(t._("Marked done: {steps}.", steps=_steps(template, outcome.changed, t)))
    if outcome.unchanged:
        lines.append(t._("Already done: {steps}.", steps=_steps(template, outcome.unchanged, t)))
    if outcome.open_before:
        before = t._(", ").join(outcome.open_before)
        lines.append(t._("Still open before it: {steps}.", steps=before))
    lines.append(_progress(application, outcome, t))
    return "\n".join(lines)


def unmarked(
    application: Application,
    template: Template,
    outcome: MarkOutcome,
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    lines = []
    if outcome.changed:
        lines.append(t._("Marked not done: {steps}.", steps=_steps(template, outcome.changed, t)))
    if outcome.unchanged:
        lines.append(
            t._("Already not done: {steps}.", steps=_steps(template, outcome.unchanged, t))
        )
    if outcome.withdrawn:
        lines.append(
            t._(
                "Withdrawn: the announcement of {steps} (a message already sent is updated to "
                "say so; one not sent yet never goes).",
                steps=t._(", ").join(map(escape_mrkdwn, outcome.withdrawn)),
            )
        )
    lines.append(_progress(application, outcome, t))
    return "\n".join(lines)


def skipped(
    application: Application,
    template: Template,
    outcome: SkipOutcome,
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    label = step_label(template, outcome.step, t)
    reason = f"“{user_text(outcome.reason or '', MAX_REASON_TEXT)}”"
    if not outcome.changed:
        line = t._("{step} is already skipped: {reason}.", step=label, reason=reason)
    elif outcome.old_reason is not None:
        line = t._("Changed why {step} is skipped: {reason}.", step=label, reason=reason)
    else:
        line = t._(
            "Skipped {step}: {reason}. It counts as complete and is not reminded.",
            step=label,
            reason=reason,
        )
    return "\n".join([line, _skip_progress(application, outcome, t)])


def unskipped(
    application: Application,
    template: Template,
    outcome: SkipOutcome,
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    label = step_label(template, outcome.step, t)
    if outcome.changed:
        line = t._("{step} is open again.", step=label)
    else:
        line = t._("{step} was not skipped.", step=label)
    return "\n".join([line, _skip_progress(application, outcome, t)])


def _skip_progress(application: Application, outcome: SkipOutcome, t: Translator) -> str:
    return _at(application, outcome.complete_count, outcome.skipped_count, outcome.total, t)


def created(
    application: Application, template: Template, t: Translator = ENGLISH_TRANSLATOR
) -> str:
    n = len(template.steps)
    return t.ngettext(
        "Created {application} in {channel} from the {guide} guide ({n} step). You own it. "
        "Next: `/onboard status` to see the checklist, `/onboard mark 1.1` when the first step "
        "is done.",
        "Created {application} in {channel} from the {guide} guide ({n} steps). You own it. "
        "Next: `/onboard status` to see the checklist, `/onboard mark 1.1` when the first step "
        "is done.",
        n,
        n=n,
        application=app_label(application),
        channel=channel_mention(application.channel_id),
        guide=user_text(template.title, MAX_TITLE_TEXT),
    )


def renamed(old_name: str, new_name: str, slug: str, t: Translator = ENGLISH_TRANSLATOR) -> str:
    return t._(
        "Renamed *{old}* to *{new}* (`{slug}` stays the same).",
        old=user_text(old_name, MAX_NAME_TEXT),
        new=user_text(new_name, MAX_NAME_TEXT),
        slug=escape_mrkdwn(slug),
    )


HERE = N_("Applications in this channel")
ELSEWHERE = N_("Yours in other channels (you own them or have steps)")
# A page of `/onboard list` holds up to LIST_PAGE applications, fewer when their lines would
# pass LIST_PAGE_TEXT characters: with the headings and the footer it stays well under the
# 4,000 characters Slack advises for a message's text.
LIST_PAGE = 20
LIST_PAGE_TEXT = 3000


def _application_line(
    application: Application,
    done: dict[int, int],
    totals: dict[int, int],
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    values = {
        "application": app_label(application),
        "channel": channel_mention(application.channel_id),
        "done": done.get(application.id, 0),
        "total": totals[application.id],
    }
    if application.archived_at:
        return t._("• {application} in {channel}: {done}/{total} (archived)", **values)
    return t._("• {application} in {channel}: {done}/{total}", **values)


def application_list(
    heading: str,
    applications: Sequence[Application],
    done: dict[int, int],
    totals: dict[int, int],
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    """One part of `/onboard list`: the heading (HERE or ELSEWHERE) and a line per
    application."""
    if not applications:
        return t._(
            "{heading}: none yet. Start one with `/onboard new &lt;name&gt;`.", heading=t._(heading)
        )
    lines = (_application_line(a, done, totals, t) for a in applications)
    return "\n".join([t._("{heading}:", heading=t._(heading)), *lines])


def list_pages(listing: Listing) -> list[range]:
    """How `/onboard list` splits its applications (this channel's, then the person's
    elsewhere) into pages: each page's positions in that order (measured in English, whose
    lines are the longer)."""
    pages: list[range] = []
    start, size = 0, 0
    everything = [*listing.here, *listing.elsewhere]
    for i, application in enumerate(everything):
        line = len(_application_line(application, listing.done, listing.totals)) + 1
        if i > start and (i - start == LIST_PAGE or size + line > LIST_PAGE_TEXT):
            pages.append(range(start, i))
            start, size = i, 0
        size += line
    pages.append(range(start, len(everything)))
    return pages


def application_listing(listing: Listing, page: int = 1, t: Translator = ENGLISH_TRANSLATOR) -> str:
    """Page `page` (from 1) of `/onboard list`: the channel's applications, then the person's
    elsewhere; when there is more than one page, where this one is and how to see the next."""
    pages = list_pages(listing)
    if not 1 <= page <= len(pages):
        last = f"`/onboard list {len(pages)}`" if len(pages) > 1 else "`/onboard list`"
        return t.ngettext(
            "There is no page {page}: the list has {n} page, the last is {last}.",
            "There is no page {page}: the list has {n} pages, the last is {last}.",
            len(pages),
            page=page,
            n=len(pages),
            last=last,
        )
    shown = pages[page - 1]
    count_here = len(listing.here)
    here = listing.here[shown.start : min(shown.stop, count_here)]
    elsewhere = listing.elsewhere[
        max(shown.start - count_here, 0) : max(shown.stop - count_here, 0)
    ]
    parts = []
    if here or (page == 1 and not listing.here):
        parts.append(application_list(HERE, here, listing.done, listing.totals, t))
    if elsewhere:
        parts.append(application_list(ELSEWHERE, elsewhere, listing.done, listing.totals, t))
    if len(pages) > 1:
        total = count_here + len(listing.elsewhere)
        where = t._(
            "Page {page} of {pages}: applications {first}–{last} of {total}.",
            page=page,
            pages=len(pages),
            first=shown.start + 1,
            last=shown.stop,
            total=total,
        )
        if page < len(pages):
            then = t._("`/onboard list {next}` shows the next page.", next=page + 1)
        else:
            then = t._("`/onboard list` shows the first page again.")
        parts.append(_then(t, where, then))
    return "\n\n".join(parts)


# What each kind of event says, as one sentence of its actor: translated where shown.
_EVENT_VERBS = {
    "created": N_("{actor} created the application"),
    "marked": N_("{actor} marked {step} done"),
    "unmarked": N_("{actor} marked {step} not done"),
    "assigned": N_("{actor} assigned {step} to {new}"),
    "unassigned": N_("{actor} unassigned {step} (was {old})"),
    "due": N_("{actor} set {step} due {new}"),
    "noted": N_("{actor} noted on {step}: {new}"),
    "renamed": N_("{actor} renamed it from {old} to {new}"),
    "archived": N_("{actor} archived the application"),
    "unarchived": N_("{actor} unarchived the application"),
    "snoozed": N_("{actor} snoozed reminders for {step} until {new}"),
    "skipped": N_("{actor} skipped {step}: {new}"),
    "unskipped": N_("{actor} unskipped {step} (was skipped: {old})"),
    "remind_after": N_("{actor} set reminders after {new} (was {old})"),
    "remind_hours": N_("{actor} set reminder hours to {new} (was {old})"),
    "reminders": N_("{actor} turned reminders {new}"),
    "remind_holidays": N_("{actor} set public holidays to {new} (was {old})"),
    "contact_added": N_("{actor} added {new} as an Alipay contact"),
    "contact_removed": N_("{actor} removed {old} from the Alipay contacts"),
    "contacts_channel": N_("{actor} set the contacts channel to {new}"),
    "credential_set": N_("{actor} set the {new} credential"),
    "forced": N_("{actor} forced {step} past the production credentials check"),
    "announced": N_("{actor} announced {step} ({new})"),
    "not_announced": N_("{actor} marked {step} done without announcing it"),
    "withdrawn": N_("{actor} withdrew the announcement of {step} ({new})"),
    "notification_verified": N_("{actor} sent a verified {new} notification (evidence for {step})"),
}
_ON_OFF = {"on": N_("on"), "off": N_("off")}  # reminders turned on or off
# A new reason for a step already skipped.
_RESKIPPED = N_("{actor} skipped {step}: {new} (was {old})")


def _actor(actor_id: str, t: Translator) -> str:
    # Alipay's notifications are recorded with the actor "alipay", not a Slack user.
    return "Alipay" if actor_id == "alipay" else person_mention(actor_id, t)


def _user(value: str | None, t: Translator) -> str:
    return person_mention(value, t) if value else t._("nobody")


OLDER_HISTORY = "history_older"
_MAX_ID = 2**63 - 1


def older_value(application_id: int, step: str | None, before_id: int) -> str:
    return f"{application_id}|{step or ''}|{before_id}"


def parse_older_value(value: str) -> tuple[int, str | None, int] | None:
    """(application id, step or None, events before this id) of an *Older* button; None for
    any other value, ids that are not ASCII digits within 64 bits (as database ids are)
    included. int() alone would take "٣" or 5,000 digits (and raise)."""
    parts = value.split("|") if isinstance(value, str) else []
    if len(parts) != 3:
        return None
    application, step, before = parts
    for number in (application, before):
        if not (number.isascii() and number.isdigit() and len(number) <= 19):
            return None
    if not (0 < int(application) <= _MAX_ID and int(before) <= _MAX_ID):
        return None
    return int(application), step or None, int(before)


def history_blocks(
    application: Application,
    events: Sequence[Event],
    step: str | None,
    more: bool,
    older: bool,
    zone: tzinfo = _UTC,
    t: Translator = ENGLISH_TRANSLATOR,
) -> tuple[str, list[Block]]:
    """The history text, times in the reader's `zone`, with an *Older* button while there is
    more."""
    text = history(application, events, step, older, zone, t)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=part)) for part in _sections(text.split("\n"))
    ]
    if more and events:
        blocks.append(
            ActionsBlock(
                block_id="history",
                elements=[
                    ButtonElement(
                        text=t._("Older"),
                        action_id=OLDER_HISTORY,
                        value=older_value(application.id, step, events[-1].id),
                    )
                ],
            )
        )
    return text, blocks


def _history_heading(
    application: Application, step: str | None, older: bool, empty: bool, t: Translator
) -> str:
    values = {"application": app_label(application), "step": escape_mrkdwn(step or "")}
    if empty:
        if step:
            return t._("No history yet for step {step} of {application}.", **values)
        return t._("No history yet for {application}.", **values)
    if older:
        if step:
            return t._("Earlier changes to step {step} of {application}, newest first:", **values)
        return t._("Earlier changes to {application}, newest first:", **values)
    if step:
        return t._("Latest changes to step {step} of {application}, newest first:", **values)
    return t._("Latest changes to {application}, newest first:", **values)


def history(
    application: Application,
    events: Sequence[Event],
    step: str | None,
    older: bool = False,
    zone: tzinfo = _UTC,
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    if not events:
        return _history_heading(application, step, older, True, t)
    lines = [_history_heading(application, step, older, False, t)]
    for e in events:
        old, new = _value(e.old_value), _value(e.new_value)
        if e.kind in ("assigned", "unassigned", "contact_added", "contact_removed"):
            old, new = _user(e.old_value, t), _user(e.new_value, t)
        elif e.kind == "contacts_channel":
            new = (
                channel_mention(e.new_value) if e.new_value else t._("none (a DM to each contact)")
            )
        elif e.kind == "due":
            new = new or t._("no date (cleared)")
        elif e.kind == "noted":
            new = f"“{new}”"
        elif e.kind == "remind_after":
            old, new = _working_days(e.old_value, t), _working_days(e.new_value, t)
        elif e.kind == "reminders" and new in _ON_OFF:
            new = t._(_ON_OFF[new])
        elif e.kind == "remind_holidays":
            old, new = old or t._("none"), new or t._("none")
        elif e.kind in ("skipped", "unskipped"):
            old, new = f"“{old}”", f"“{new}”"
        values = {"actor": _actor(e.actor_id, t), "step": escape_mrkdwn(e.step or "")}
        if e.kind == "skipped" and e.old_value is not None:
            text = t._(_RESKIPPED, old=old, new=new, **values)
        elif e.kind in _EVENT_VERBS:
            text = t._(_EVENT_VERBS[e.kind], old=old, new=new, **values)
        else:
            text = f"{values['actor']} {escape_mrkdwn(e.kind)} {values['step']}"
        lines.append(t._("• {when}: {event}", when=_when(e.created_at, zone, t), event=text))
    return "\n".join(lines)


def _working_days(value: str | None, t: Translator) -> str:
    """A recorded number of working days: "1 working day", "2 working days"."""
    if value is not None and value.isascii() and value.isdigit() and len(value) <= 6:
        n = int(value)
        return t.ngettext("{n} working day", "{n} working days", n, n=n)
    return _value(value)


def _when(moment: datetime, zone: tzinfo, t: Translator) -> str:
    """A time as the reader reads it: in their zone, with its abbreviation ("CST", "PDT")
    or, where the zone has only an offset for one ("+08"), its name ("Asia/Singapore")."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    local = moment.astimezone(zone)
    name = local.tzname() or ""
    if not name or name[0] in "+-":
        name = str(zone)
    shown = f"{local:%Y-%m-%d %H:%M}" if t.language == ENGLISH else t.moment(local, zone)
    return f"{shown} {escape_mrkdwn(name)}"


def _value(value: str | None) -> str:
    """An event's old or new value (a name, a note…) on one line of the history, escaped and
    cut, so that a page of it stays within one reply."""
    return user_text(" ".join((value or "").split()), MAX_VALUE_TEXT)


def _sections(lines: Sequence[str]) -> list[str]:
    """Lines packed into as few section texts as Slack's 3,000-character limit allows."""
    sections: list[str] = []
    for line in lines:
        line = fit_mrkdwn(line, MAX_SECTION_TEXT)
        if sections and len(sections[-1]) + 1 + len(line) <= MAX_SECTION_TEXT:
            sections[-1] += "\n" + line
        else:
            sections.append(line)
    return sections


def _then(t: Translator, first: str, second: str) -> str:
    """Two whole sentences, one after the other: with a space in English, none in Chinese."""
    return t._("{first} {second}", first=first, second=second)


def due_set(
    template: Template,
    number: str,
    due_on: date | None,
    zone_name: str,
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    if due_on is None:
        return t._("Cleared the due date of {step}.", step=step_label(template, number, t))
    return t._(
        "{step} is due {day} ({zone} time).",
        step=step_label(template, number, t),
        day=on_day(t, due_on),
        zone=user_text(zone_name, MAX_VALUE_TEXT),
    )


def reminder_settings(application: Application, t: Translator = ENGLISH_TRANSLATOR) -> str:
    label = app_label(application)
    if not application.reminders_on:
        return t._(
            "Reminders for {application} are *off*. `/onboard remind on` turns them back on.",
            application=label,
        )
    days = application.remind_after_days
    if application.remind_holidays:
        holidays = t._(
            "Public holidays in {region} are not working days"
            " (`/onboard remind holidays off` to count them).",
            region=escape_mrkdwn(application.remind_holidays),
        )
    else:
        holidays = t._(
            "Public holidays count as working days; `/onboard remind holidays CN` (or another"
            " country code) skips a country's."
        )
    settings = t.ngettext(
        "Reminders for {application} are on: a step counts as stalled after {n} working day "
        "without progress, and people are reminded between {start} and {end}, Monday to "
        "Friday, in their own time zone.",
        "Reminders for {application} are on: a step counts as stalled after {n} working days "
        "without progress, and people are reminded between {start} and {end}, Monday to "
        "Friday, in their own time zone.",
        days,
        n=days,
        application=label,
        start=application.remind_start,
        end=application.remind_end,
    )
    return _then(t, settings, holidays)


def contacts(
    application: Application, people: Sequence[str], t: Translator = ENGLISH_TRANSLATOR
) -> str:
    label = app_label(application)
    if not people:
        who = t._(
            "{application} has no Alipay contacts yet; add them with "
            "`/onboard contacts add @person`.",
            application=label,
        )
    else:
        who = t._(
            "{application} has these Alipay contacts: {people}.",
            application=label,
            people=t._(", ").join(user_mention(p) for p in people),
        )
    if application.contacts_channel_id:
        channel = channel_mention(application.contacts_channel_id)
        where = t._("The business-start announcement goes to {channel}.", channel=channel)
    else:
        where = t._("With no contacts channel set, each contact gets a direct message.")
    return _then(t, who, where)


def reminder_marked(template: Template, number: str, t: Translator = ENGLISH_TRANSLATOR) -> str:
    """What a reminder DM says once its *Mark done* was clicked."""
    return t._("✅ You marked {step} done. Thank you!", step=step_label(template, number, t))


def reminder_snoozed(
    template: Template,
    number: str,
    until: datetime,
    zone_name: str,
    t: Translator = ENGLISH_TRANSLATOR,
) -> str:
    """What a reminder DM says once snoozed: until when, in the snoozer's zone."""
    local = until.astimezone(ZoneInfo(zone_name))
    day = f"{local:%a %Y-%m-%d}" if t.language == ENGLISH else t.day(local.date())
    return t._(
        "😴 Snoozed {step}: no reminder before {day} {time} ({zone}).",
        step=step_label(template, number, t),
        day=day,
        time=local.strftime("%H:%M"),
        zone=zone_name,
    )


def assigned(template: Template, number: str, user_id: str, old: str | None, t: Translator) -> str:
    """The answer to `assign`: whom the step now belongs to (and whom it did)."""
    label = step_label(template, number, t)
    if old and old != user_id:
        return t._(
            "Assigned {step} to {user} (was {old}).",
            step=label,
            user=user_mention(user_id),
            old=user_mention(old),
        )
    return t._("Assigned {step} to {user}.", step=label, user=user_mention(user_id))


def unassigned(template: Template, number: str, old: str | None, t: Translator) -> str:
    """The answer to `unassign`: whom the step belonged to, if anyone."""
    label = step_label(template, number, t)
    if old is None:
        return t._("{step} had no assignee.", step=label)
    return t._("Unassigned {step} (was {old}).", step=label, old=user_mention(old))


def noted(template: Template, number: str, t: Translator) -> str:
    """The answer to `note`."""
    return t._("Noted on {step}.", step=step_label(template, number, t))


def archived(application: Application, t: Translator) -> str:
    """The answer to `archive`."""
    return t._(
        "Archived {application}: no more reminders or digests. Its history stays and "
        "`/onboard export --app {slug}` still works.",
        application=app_label(application),
        slug=escape_mrkdwn(application.slug),
    )


def unarchived(application: Application, in_channel: int, t: Translator) -> str:
    """The answer to `unarchive`; `in_channel`: how many applications its channel now has."""
    if in_channel > 1:
        return t._(
            "Unarchived {application}: its reminders and digests resume. {channel} now has "
            "{n} applications, so commands there need `--app`, e.g. "
            "`/onboard status --app {slug}`.",
            application=app_label(application),
            channel=channel_mention(application.channel_id),
            n=in_channel,
            slug=escape_mrkdwn(application.slug),
        )
    return t._(
        "Unarchived {application}: its reminders and digests resume.",
        application=app_label(application),
    )


def checklist_not_posted(error: str, t: Translator) -> str:
    """Why the checklist is shown only to the reader: Slack refused to post it."""
    return t._(
        "I couldn't post the checklist here (Slack said `{error}`). Invite me to the channel "
        "with `/invite @Onboard`; here it is just for you.",
        error=escape_mrkdwn(error),
    )


def export_started(application: Application, fmt: str, elsewhere: bool, t: Translator) -> str:
    """The answer to `export`; `elsewhere`: the file goes to the application's channel,
    not the one the command was typed in."""
    if elsewhere:
        return t._(
            "Exporting {application} as {format} to {channel}…",
            application=app_label(application),
            format=fmt.upper(),
            channel=channel_mention(application.channel_id),
        )
    return t._(
        "Exporting {application} as {format}…",
        application=app_label(application),
        format=fmt.upper(),
    )


def export_comment(application: Application, user_id: str, t: Translator) -> str:
    """The comment on the exported file."""
    return t._(
        "Export of {application} for {user}",
        application=app_label(application),
        user=user_mention(user_id),
    )


def export_not_uploaded(error: str, t: Translator) -> str:
    """Slack refused the export's upload."""
    return t._(
        "I couldn't upload the export here (Slack said `{error}`). Invite me to the channel "
        "with `/invite @Onboard` and try again.",
        error=escape_mrkdwn(error),
    )


# Said when a subcommand failed unexpectedly (nothing was changed), or when its change was
# saved but what follows it (a post, a redraw) was not.
FAILED = N_(
    "Something went wrong on my side and nothing was changed. Please try again in a minute."
)
FOLLOW_UP_FAILED = N_("Your change was saved, but I couldn't finish posting about it.")


def new_application_cancelled(t: Translator) -> str:
    """The answer to *Cancel* on the question a second `/onboard new` asks."""
    return t._("Cancelled: no application was created.")
