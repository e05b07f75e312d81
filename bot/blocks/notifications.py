"""Messages sent outside a request (bot/outbox_messages.py: reminders, escalations, digests,
announcements, notices): pure functions from a message to (fallback text, blocks); and a
reminder DM with one of its steps answered (`answered_reminder`).

What a channel sees (digests, announcements, escalations, notices) is built in the language
its message carries (`language`, English for rows queued before it), with a `Translator` `t`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.analytics.figures import BurnUpPoint
from bot.blocks.assignment import assignment
from bot.blocks.charts import day_labels, xy_chart
from bot.blocks.checklist import action_value, day_text, progress_bar, progress_count
from bot.blocks.days import on_day, soon_day
from bot.blocks.mrkdwn import (
    channel_mention,
    escape_mrkdwn,
    fit_mrkdwn,
    link,
    shorten,
    user_mention,
    user_text,
)
from bot.i18n import ENGLISH, ENGLISH_TRANSLATOR, N_, Translator, translator
from bot.outbox_messages import (
    AnnouncementWithdrawn,
    Assignment,
    BusinessStart,
    BusinessStartNoContacts,
    Digest,
    DigestSection,
    EscalatedStep,
    Escalation,
    Escalations,
    GoLive,
    Message,
    NextStep,
    NotificationLine,
    PilotStep,
    RemindedApplication,
    RemindedStep,
    Reminder,
    Reminders,
    Undeliverable,
    WaitingStep,
)
from bot.services.snooze import SNOOZE_CHOICES

# action_ids of the reminder's buttons
REMINDER_MARK = "reminder_mark"
REMINDER_SNOOZE = "reminder_snooze"
REMINDER_REASSIGN = "reminder_reassign"

# (fallback text, blocks). The fallback is the message's top-level `text`: Slack parses it as
# mrkdwn and shows it in notifications, so it is escaped like the blocks.
# The blocks are slack_sdk's, and dicts for the blocks it has no model for (the digest's chart).
Rendered = tuple[str, list[Block | dict]]

MAX_TEXT = 3000  # a section's or context element's text
MAX_HEADER = 150
MAX_NAME = 200  # an application's name, escaped, in a line
MAX_TITLE = 300  # a step's or phase's title, escaped, in a line
MAX_SKIP_REASON = 100  # why a step was skipped, escaped, in a digest's line
# The header, the burn-up chart, three blocks per application and the "…and N more" line
# stay within a message's 50 blocks; the digest pass already sends fewer (services/digests.py).
MAX_DIGEST_APPLICATIONS = 15
MAX_NOTE_SHOWN = 300  # of a step's latest note in a reminder, escaped, on one line
# A reminder DM never holds more blocks than this (services/reminders.py plans within it).
MAX_BLOCKS = 50


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=fit_mrkdwn(text, MAX_TEXT))])


def _name(name: str) -> str:
    return user_text(name, MAX_NAME)


def _app(name: str) -> str:
    return f"*{_name(name)}*"


def _step(step: str, title: str) -> str:
    return f"*{escape_mrkdwn(step)}* _{user_text(title, MAX_TITLE)}_"


def _header(name: str, suffix: str) -> str:
    """A plain_text header: the name cut so that what follows it always shows."""
    return shorten(name, MAX_HEADER - len(suffix)) + suffix


_MENTION = re.compile(r"<([@#])([A-Z0-9]+)>")


def _recipient(to: str) -> str:
    """Undeliverable's `to` is a mention delivery built from the target's id; rebuilt from
    that id here, so a row holding anything else shows as text."""
    match = _MENTION.fullmatch(to)
    if match is None:
        return escape_mrkdwn(to)
    sigil, target = match.groups()
    return user_mention(target) if sigil == "@" else channel_mention(target)


def _why(
    t: Translator, form: str, step: str, application: str, channel: str, s: RemindedStep
) -> str:
    """Why a step is reminded, as one sentence of the given `form`: "one" (the DM of one
    step), "fallback" (its text), "line" (a step under its application) or "first" (the first
    step in a longer DM's text)."""
    values = {"step": step, "application": application, "channel": channel}
    if s.reason == "overdue":
        due = on_day(t, s.due_on) if isinstance(s.due_on, date) else str(s.due_on)
        return t._(_OVERDUE[form], due=due, **values)
    n, since = s.waited_days, on_day(t, s.since) if isinstance(s.since, date) else str(s.since)
    match form:
        case "one":
            return t.ngettext(
                "⏰ Step {step} of {application} in {channel} has waited {n} working day"
                " (since {since}).",
                "⏰ Step {step} of {application} in {channel} has waited {n} working days"
                " (since {since}).",
                n, n=n, since=since, **values,
            )  # fmt: skip
        case "fallback":
            return t.ngettext(
                "Step {step} of {application} has waited {n} working day (since {since})",
                "Step {step} of {application} has waited {n} working days (since {since})",
                n, n=n, since=since, **values,
            )  # fmt: skip
        case "line":
            return t.ngettext(
                "{step} has waited {n} working day (since {since}).",
                "{step} has waited {n} working days (since {since}).",
                n, n=n, since=since, **values,
            )  # fmt: skip
    return t.ngettext(
        "step {step} of {application} has waited {n} working day (since {since})",
        "step {step} of {application} has waited {n} working days (since {since})",
        n, n=n, since=since, **values,
    )  # fmt: skip


_OVERDUE = {
    "one": N_("⏰ Step {step} of {application} in {channel} was due {due}."),
    "fallback": N_("Step {step} of {application} was due {due}"),
    "line": N_("{step} was due {due}."),
    "first": N_("step {step} of {application} was due {due}"),
}


def _step_actions(
    application_id: int, step: str, n: int = 0, t: Translator = ENGLISH_TRANSLATOR
) -> ActionsBlock:
    """*Mark done*, the *Snooze* menu and *Reassign…* for one step (each value names it);
    `n`, its place in the message, keeps the block ids unique."""
    return ActionsBlock(
        block_id=f"reminder:{n}",
        elements=[
            ButtonElement(
                text=t._("Mark done"),
                action_id=REMINDER_MARK,
                value=action_value(application_id, step, "mark"),
                style="primary",
            ),
            StaticSelectElement(
                placeholder=t._("Snooze…"),
                action_id=REMINDER_SNOOZE,
                options=[
                    Option(text=t._(label), value=action_value(application_id, step, f"snooze:{c}"))
                    for c, label in SNOOZE_CHOICES.items()
                ],
            ),
            ButtonElement(
                text=t._("Reassign…"),
                action_id=REMINDER_REASSIGN,
                value=action_value(application_id, step, "assign"),
            ),
        ],
    )


def _note(t: Translator, text: str | None, by: str | None) -> str:
    """The step's latest note on one line: escaped, cut, and whose."""
    if not text:
        return ""
    note = user_text(" ".join(text.split()), MAX_NOTE_SHOWN)
    if by:
        return "\n" + t._("📝 Latest note ({author}): {note}", author=user_mention(by), note=note)
    return "\n" + t._("📝 Latest note: {note}", note=note)


def _instead_of(
    t: Translator, who: str | None, channel: str, application: str, away_until: date | None = None
) -> str:
    if who is None:
        return ""
    if away_until is not None:
        return "\n" + t._(
            "{person} is away until {day}, so this comes to you as the owner of {application}.",
            person=user_mention(who),
            day=soon_day(t, away_until),
            application=_app(application),
        )
    return "\n" + t._(
        "{person} is not in {channel}, so this comes to you as the owner of {application}.",
        person=user_mention(who),
        channel=channel_mention(channel),
        application=_app(application),
    )


def reminder(m: Reminder, t: Translator = ENGLISH_TRANSLATOR) -> Rendered:
    """A one-step reminder queued by an earlier version: the one-step form of `reminders`."""
    step = RemindedStep(
        step=m.step,
        title=m.title,
        reason=m.reason,
        waited_days=m.waited_days,
        since=m.since,
        due_on=m.due_on,
        instead_of=m.instead_of,
        away_until=m.away_until,
    )
    return reminders(
        Reminders(
            applications=(
                RemindedApplication(m.application_id, m.application, m.slug, m.channel, (step,)),
            )
        ),
        t,
    )


def _one_step(t: Translator, a: RemindedApplication, s: RemindedStep) -> Rendered:
    where = channel_mention(a.channel)
    text = (
        _why(t, "one", _step(s.step, s.title), _app(a.application), where, s)
        + _instead_of(t, s.instead_of, a.channel, a.application, s.away_until)
        + _note(t, s.note, s.note_by)
    )
    blocks: list[Block] = [_md(text), _step_actions(a.application_id, s.step, t=t)]
    fallback = _why(t, "fallback", escape_mrkdwn(s.step), _name(a.application), where, s)
    return fallback, blocks


_APP_HOME = re.compile(r"slack://app\?team=[A-Z0-9]+&id=A[A-Z0-9]+&tab=home")


def _more_line(t: Translator, more: int, app_home: str | None) -> ContextBlock:
    # Linked only when it is the deep link the scheduler builds from ids (never user text).
    if app_home is not None and _APP_HOME.fullmatch(app_home):
        where = link(app_home, t._("your App Home"))
    else:
        where = t._("your App Home (Onboard in the sidebar, *Home* tab)")
    return _context(t._("…and {n} more; {where} lists every step of yours.", n=more, where=where))


def reminders(m: Reminders, t: Translator = ENGLISH_TRANSLATOR) -> Rendered:
    """One DM, in the reader's language: the person's stalled and overdue steps by application,
    each with its buttons. Steps that would pass `MAX_BLOCKS` are left for the "…and N more"
    line."""
    listed = [(a, s) for a in m.applications for s in a.steps]
    if len(listed) == 1 and not m.more:
        return _one_step(t, *listed[0])
    total = len(listed) + m.more
    header = t.ngettext(
        "⏰ {n} step waiting on you:", "⏰ {n} steps waiting on you:", total, n=total
    )
    blocks: list[Block] = [_md(header)]
    budget = MAX_BLOCKS - len(blocks) - 1  # the "…and N more" line
    more = m.more
    for a in m.applications:
        if budget < 3:
            more += len(a.steps)
            continue
        where = channel_mention(a.channel)
        blocks.append(
            _md(t._("{application} in {channel}", application=_app(a.application), channel=where))
        )
        budget -= 1
        for s in a.steps:
            if budget < 2:
                more += 1
                continue
            blocks.append(
                _md(
                    _why(t, "line", _step(s.step, s.title), _app(a.application), where, s)
                    + _instead_of(t, s.instead_of, a.channel, a.application, s.away_until)
                    + _note(t, s.note, s.note_by)
                )
            )
            blocks.append(_step_actions(a.application_id, s.step, len(blocks), t))
            budget -= 2
    if more:
        blocks.append(_more_line(t, more, m.app_home))
    first_app, first = listed[0] if listed else (None, None)
    if first_app is None or first is None:
        text = t.ngettext("{n} step waiting on you", "{n} steps waiting on you", total, n=total)
    else:
        where = channel_mention(first_app.channel)
        text = t.ngettext(
            "{n} step waiting on you: {first}",
            "{n} steps waiting on you: {first}",
            total,
            n=total,
            first=_why(
                t, "first", escape_mrkdwn(first.step), _name(first_app.application), where, first
            ),
        )
    return text, blocks


def answered_reminder(
    blocks: list[dict[str, Any]], block_id: str, answer: str
) -> list[dict[str, Any]] | None:
    """The clicked reminder DM with one step answered: that step's controls (`block_id`)
    replaced by `answer` (mrkdwn built here, not typed by anyone), every other step's kept so
    they can still be answered. None for a DM of one step, or one this version did not
    build: the answer then replaces the DM whole."""
    ids = {b.get("block_id") for b in blocks if str(b.get("block_id", "")).startswith("reminder:")}
    if len(ids) < 2 or block_id not in ids:
        return None
    done = _context(answer).to_dict() | {"block_id": block_id}
    return [done if b.get("block_id") == block_id else b for b in blocks]


def escalation(m: Escalation, t: Translator = ENGLISH_TRANSLATOR) -> Rendered:
    """A one-step escalation queued by an earlier version."""
    step = EscalatedStep(
        m.application_id,
        m.application,
        m.slug,
        m.step,
        m.title,
        m.recipient,
        m.owner,
        m.reminders,
        m.since,
    )
    return escalations(Escalations(steps=(step,)), t)


def escalations(m: Escalations, t: Translator = ENGLISH_TRANSLATOR) -> Rendered:
    """One message to a channel: each step whose reminders went unanswered, who was reminded,
    how often, since when."""
    if len(m.steps) == 1 and not m.more:
        (e,) = m.steps
        text = t.ngettext(
            "⚠️ Step {step} of {app} has had {n} reminder to {person} since {day} with no "
            "answer. Owner of the application: {owner}. Could someone pick it up?",
            "⚠️ Step {step} of {app} has had {n} reminders to {person} since {day} with no "
            "answer. Owner of the application: {owner}. Could someone pick it up?",
            e.reminders,
            step=_step(e.step, e.title),
            app=_app(e.application),
            n=e.reminders,
            person=user_mention(e.recipient),
            day=day_text(t, e.since),
            owner=user_mention(e.owner),
        )
        fallback = t._(
            "Step {step} of {app} is stuck", step=escape_mrkdwn(e.step), app=_name(e.application)
        )
        return fallback, [_md(text)]
    total = len(m.steps) + m.more
    blocks: list[Block] = [
        _md(
            t.ngettext(
                "⚠️ {n} step had reminders with no answer. Could someone pick it up?",
                "⚠️ {n} steps had reminders with no answer. Could someone pick them up?",
                total,
                n=total,
            )
        )
    ]
    shown = m.steps[: MAX_BLOCKS - 2]
    for e in shown:
        blocks.append(
            _md(
                t.ngettext(
                    "• Step {step} of {app}: {n} reminder to {person} since {day}; owner {owner}.",
                    "• Step {step} of {app}: {n} reminders to {person} since {day}; owner {owner}.",
                    e.reminders,
                    step=_step(e.step, e.title),
                    app=_app(e.application),
                    n=e.reminders,
                    person=user_mention(e.recipient),
                    day=day_text(t, e.since),
                    owner=user_mention(e.owner),
                )
            )
        )
    more = m.more + len(m.steps) - len(shown)
    if more:
        blocks.append(_context(t._("…and {n} more, in the next message.", n=more)))
    fallback = t.ngettext("{n} step are stuck", "{n} steps are stuck", total, n=total)
    return fallback, blocks


def go_live(m: GoLive, t: Translator = ENGLISH_TRANSLATOR) -> Rendered:
    params = {
        "app": _app(m.application),
        "person": user_mention(m.marked_by),
        "day": day_text(t, m.marked_on),
    }
    if m.step:
        text = t._(
            "🚀 {app} is live in production! {person} marked step {step} (launch) on {day}. "
            "Next: pilot testing with a live account.",
            step=escape_mrkdwn(m.step),
            **params,
        )
    else:
        text = t._(
            "🚀 {app} is live in production! {person} marked the launch step on {day}. "
            "Next: pilot testing with a live account.",
            **params,
        )
    return t._("{app} is live in production", app=_name(m.application)), [_md(text)]


def _pilot_state(s: PilotStep, t: Translator) -> str:
    if s.done_on:
        return t._("done {day}", day=day_text(t, s.done_on))
    if s.skip_reason is not None:
        reason = user_text(s.skip_reason, MAX_SKIP_REASON)
        return t._("skipped, does not apply (“{reason}”)", reason=reason)
    return t._("not marked done")


def business_start(m: BusinessStart, t: Translator = ENGLISH_TRANSLATOR) -> Rendered:
    contacts = " ".join(user_mention(c) for c in m.contacts)
    pilot = "\n".join(
        t._(
            "• {step} {title}: {state}",
            step=escape_mrkdwn(s.step),
            title=user_text(s.title, MAX_TITLE),
            state=_pilot_state(s, t),
        )
        for s in m.pilot
    )
    client_id = m.production_client_id or t._("not recorded in Onboard")
    activated = t._(
        "{app} is activated for business, so Alipay can start monitoring it for unexpected errors.",
        app=_app(m.application),
    )
    went_live = day_text(t, m.went_live_on) if m.went_live_on else t._("not marked")
    blocks: list[Block] = [
        HeaderBlock(text=_header(m.application, t._(" has started business"))),
        _md((f"{contacts} " if contacts else "") + activated),
        _md(
            t._(
                "*Production client ID:* `{client_id}`\n"
                "*Went live:* {went_live}\n"
                "*Business started:* {day} (marked by {person})",
                client_id=escape_mrkdwn(client_id),
                went_live=went_live,
                day=day_text(t, m.marked_on),
                person=user_mention(m.marked_by),
            )
        ),
    ]
    if pilot:
        blocks.append(_md(t._("*Pilot testing*\n{steps}", steps=pilot)))
    return t._("{app} has started business", app=_name(m.application)), blocks


def business_start_no_contacts(
    m: BusinessStartNoContacts, t: Translator = ENGLISH_TRANSLATOR
) -> Rendered:
    text = t._(
        "{app} has started business, but it has no Alipay contacts to tell. "
        "Add them with `/onboard contacts add @person` (and optionally `/onboard contacts "
        "channel #channel`), then unmark and mark the last step again.",
        app=_app(m.application),
    )
    fallback = t._("{app}: no Alipay contacts to tell", app=_name(m.application))
    return fallback, [_md(text)]


# What each kind of announcement said, in short, once withdrawn ({app} is the name, escaped).
_ANNOUNCED = {
    GoLive.KIND: N_("🚀 {app} is live in production!"),
    BusinessStart.KIND: N_("{app} is activated for business."),
    BusinessStartNoContacts.KIND: N_("{app} has started business."),
}
_ANNOUNCEMENT = N_("{app}: an announcement.")  # of a kind this version does not know


def announcement_withdrawn(
    m: AnnouncementWithdrawn, t: Translator = ENGLISH_TRANSLATOR
) -> Rendered:
    """What an announcement becomes once its step is unmarked: struck, and who withdrew it."""
    said = t._(_ANNOUNCED.get(m.original_kind, _ANNOUNCEMENT), app=_app(m.application))
    step = t._("step {step}", step=escape_mrkdwn(m.step)) if m.step else t._("the step")
    blocks: list[Block] = [
        _md(
            t._(
                "↩️ *Withdrawn* by {person} on {day}: {step} of {app} was marked not done, "
                "so this no longer holds.",
                person=user_mention(m.by),
                day=day_text(t, m.on),
                step=step,
                app=_app(m.application),
            )
        ),
        _context(
            t._(
                "It said: ~{said}~ ({person} marked {step} on {day}.)",
                said=said,
                person=user_mention(m.marked_by),
                step=step,
                day=day_text(t, m.marked_on),
            )
        ),
    ]
    fallback = t._(
        "Withdrawn: {app}, {step} was marked not done", app=_name(m.application), step=step
    )
    return fallback, blocks


def _waiting(w: WaitingStep, t: Translator) -> str:
    if w.overdue:
        return t._("overdue since {day}", day=day_text(t, w.due_on) if w.due_on else "")
    return t._("stalled")


def _digest_lines(a: DigestSection, t: Translator) -> list[str]:
    """An application's lines in a digest: its phases, then what moved and what waits."""
    lines = [
        "\n".join(
            f"{progress_bar(ph.done, ph.total)} "
            f"{progress_count(ph.done, ph.skipped, ph.total, t)} " + user_text(ph.title, MAX_TITLE)
            for ph in a.phases
        )
    ]
    if a.done_since:
        steps = t._(", ").join(
            t._("{step} by {person}", step=escape_mrkdwn(d.step), person=user_mention(d.by))
            for d in a.done_since
        )
        lines.append(t._("*Done since the last digest:* {steps}", steps=steps))
    if a.skipped_since:
        steps = t._(", ").join(
            t._(
                "{step} by {person} (“{reason}”)",
                step=escape_mrkdwn(s.step),
                person=user_mention(s.by),
                reason=user_text(s.skip_reason, MAX_SKIP_REASON),
            )
            for s in a.skipped_since
        )
        lines.append(t._("*Skipped since the last digest:* {steps}", steps=steps))
    if a.waiting:
        steps = t._(", ").join(
            t._(
                "{step} ({why}, {person})",
                step=escape_mrkdwn(w.step),
                why=_waiting(w, t),
                person=user_mention(w.owner),
            )
            for w in a.waiting
        )
        lines.append(t._("*Stalled or overdue:* {steps}", steps=steps))
    if a.next:
        steps = t._(", ").join(_next_step(n, t) for n in a.next)
        lines.append(t._("*Next:* {steps}", steps=steps))
    return lines


def _next_step(n: NextStep, t: Translator) -> str:
    step, title = escape_mrkdwn(n.step), user_text(n.title, MAX_TITLE)
    if n.assignee:
        return t._(
            "{step} {title} ({person})", step=step, title=title, person=user_mention(n.assignee)
        )
    return f"{step} {title}"


def digest(m: Digest, t: Translator = ENGLISH_TRANSLATOR) -> Rendered:
    title = t._("Daily digest") if m.cadence == "daily" else t._("Weekly digest")
    blocks: list[Block | dict] = [HeaderBlock(text=title), *burn_up_chart(m.burn_up, t)]
    shown = m.applications[:MAX_DIGEST_APPLICATIONS]
    more = m.more + len(m.applications) - len(shown)
    for a in shown:
        count = progress_count(a.done, a.skipped, a.total, t)
        blocks += [DividerBlock(), _md(f"{_app(a.application)} · {count}")]
        blocks.append(_md("\n".join(_digest_lines(a, t))))
    if not m.applications:
        blocks.append(_md(t._("No active applications in this channel.")))
    if more:
        blocks.append(
            _context(
                t.ngettext(
                    "…and {n} more application; `/onboard list` shows all.",
                    "…and {n} more applications; `/onboard list` shows all.",
                    more,
                    n=more,
                )
            )
        )
    total = sum(a.done - a.skipped for a in shown)
    if len(shown) == 1:
        fallback = t.ngettext(
            "{title}: {n} step done across 1 application",
            "{title}: {n} steps done across 1 application",
            total,
            title=title,
            n=total,
        )
    else:
        fallback = t.ngettext(
            "{title}: {n} step done across {apps} applications",
            "{title}: {n} steps done across {apps} applications",
            total,
            title=title,
            n=total,
            apps=len(shown),
        )
    return fallback, blocks


BURN_UP_WEEKS = 8


def burn_up_chart(points: Sequence[BurnUpPoint], t: Translator) -> list[dict]:
    """A line chart of the steps complete against the total over the last 8 weeks: nothing
    without points. A day given twice counts once, as its last point says."""
    by_day = {p.day: p for p in points}
    shown = [by_day[day] for day in sorted(by_day)][-BURN_UP_WEEKS:]
    if not shown:
        return []
    return [
        xy_chart(
            "line",
            t._("Steps complete, last 8 weeks"),
            day_labels([p.day for p in shown], t),
            [
                (t._("Complete"), [p.complete for p in shown]),
                (t._("Total"), [p.total for p in shown]),
            ],
            y_label=t._("Steps"),
        )
    ]


# What each kind of message is called in an undeliverable notice (in English, its KIND).
_KIND_NAMES = {
    "reminder": N_("reminder"),
    "reminders": N_("reminders"),
    "escalation": N_("escalation"),
    "escalations": N_("escalations"),
    "go-live": N_("go live"),
    "business-start": N_("business start"),
    "business-start-no-contacts": N_("business start no contacts"),
    "announcement-withdrawn": N_("announcement withdrawn"),
    "digest": N_("digest"),
    "undeliverable": N_("undeliverable"),
    "alipay-notification": N_("alipay notification"),
    "step-assignment": N_("step assignment"),
}


def undeliverable(m: Undeliverable, t: Translator = ENGLISH_TRANSLATOR) -> Rendered:
    name = _KIND_NAMES.get(m.what)
    what = user_text(t._(name) if name else m.what.replace("-", " "), 50)
    text = t._(
        "I couldn't deliver a {what} to {to} (Slack said `{error}`). Check the step's assignee "
        "or the contacts of {app}, or invite me to the channel.",
        what=what,
        to=_recipient(m.to),
        error=user_text(m.error, 100),
        app=_app(m.application),
    )
    return t._("Couldn't deliver a {what}", what=what), [_md(text)]


def notification_line(m: NotificationLine, t: Translator = ENGLISH_TRANSLATOR) -> Rendered:
    what = t.ngettext("an Alipay notification", "{n} Alipay notifications", m.count, n=m.count)
    params = {
        "app": _app(m.application),
        "what": what,
        "environment": user_text(m.environment, 50),
        "time": f"{m.minute:%H:%M}",
    }
    if m.step:
        text = t._(
            "✅ {app} received {what} ({environment}) at {time} UTC, signature verified. "
            "That is the evidence for step {step}.",
            step=escape_mrkdwn(m.step),
            **params,
        )
    else:
        text = t._(
            "✅ {app} received {what} ({environment}) at {time} UTC, signature verified.",
            **params,
        )
    fallback = t._("{app}: {what} verified", app=_name(m.application), what=what)
    return fallback, [_md(text)]


def render(message: Message) -> Rendered:
    """A message as delivery posts it; what a channel sees in the language it carries."""
    t = translator(getattr(message, "language", ENGLISH))
    match message:
        case Reminder():
            return reminder(message, translator(message.language))
        case Reminders():
            return reminders(message, translator(message.language))
        case Escalation():
            return escalation(message, t)
        case Escalations():
            return escalations(message, t)
        case GoLive():
            return go_live(message, t)
        case BusinessStart():
            return business_start(message, t)
        case BusinessStartNoContacts():
            return business_start_no_contacts(message, t)
        case AnnouncementWithdrawn():
            return announcement_withdrawn(message, t)
        case Digest():
            return digest(message, t)
        case Undeliverable():
            return undeliverable(message, t)
        case NotificationLine():
            return notification_line(message, t)
        case Assignment():
            return assignment(message, translator(message.language))
    raise TypeError(f"no rendering for {type(message).__name__}")
