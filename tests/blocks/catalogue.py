"""Every payload the builders in bot/blocks/ produce, from one set of texts.

`payloads(texts)` calls every builder (checklist, App Home, the step modals, the command's
replies, credentials and diagnosis, help, the portfolio report and App Home's portfolio, and
the rendering of every outbox kind) with
applications, templates, notes, history and outbox messages made from `texts`, and returns
what Slack would get: a message's top-level text and blocks, or a view. The limits test feeds
it representative and extreme texts; the injection test feeds it hostile ones.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.analytics.figures import (
    ApplicationRow,
    LivePoint,
    Period,
    PeriodFigures,
    PhaseSpread,
    Report,
    Spread,
    StuckStep,
)
from bot.blocks import (
    announce,
    credentials,
    home,
    languages,
    modals,
    new_app,
    notifications,
    people,
    replies,
)
from bot.blocks.checklist import Fold, checklist_blocks, checklist_fallback_text
from bot.blocks.help import help_blocks, help_fallback, help_text
from bot.blocks.portfolio import portfolio_blocks
from bot.blocks.report import report_blocks
from bot.checklists import Link, Phase, Step, Template
from bot.command_parser.usage import USAGE_BY_NAME
from bot.i18n import translator
from bot.outbox_messages import KINDS, Assignment, BusinessStart, GoLive, Message
from bot.services.announcements import Question
from bot.services.checklist import HISTORY_PAGE, MarkOutcome, SkipOutcome
from bot.services.credentials import ENVIRONMENTS, FIELDS
from bot.services.listing import Listing
from bot.services.progress import Checklist, build_checklist
from bot.usecases.languages import Languages
from bot.usecases.people import MySettings
from storage.models import Application, Event, StepState

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
TODAY = NOW.date()

# The ids the bot is given, and so may mention: everything else must show as text.
OWNER, ASSIGNEE, ACTOR, CONTACT = "UOWNER", "U01ABCDEFGHJKLMN", "UACTOR", "UCONTACT"
USERS = frozenset({OWNER, ASSIGNEE, ACTOR, CONTACT})
CHANNEL, CONTACTS_CHANNEL = "CPAY", "CCONTACTS"
CHANNELS = frozenset({CHANNEL, CONTACTS_CHANNEL})

# Fields of the outbox messages that hold ids, which the renderers turn into mentions.
USER_FIELDS = {
    "recipient",
    "owner",
    "marked_by",
    "by",
    "assignee",
    "instead_of",
    "contacts",
    "note_by",
}
CHANNEL_FIELDS = {"channel"}


@dataclass(frozen=True)
class Texts:
    """What people and templates supply, and how much of everything there is."""

    name: str = "Acme POS"  # application names
    title: str = "Sign up and log in to the Developer Center"  # step titles, template titles
    phase: str = "Integration preparation"  # phase titles
    summary: str = "Register with a business email, then confirm it."  # a step's guide text
    link_title: str = "Developer Center"
    note: str = "waiting for IT"  # notes, history values, Slack's error codes…
    value: str = "SANDBOX_5Y…3A2N"  # masked credentials, time zones, signature reasons…
    url: str = "https://global.alipay.com/docs/ac/instore"  # template URLs
    sizes: tuple[int, ...] = (5, 4, 5, 3, 2)  # steps per phase
    applications: int = 3  # in a `/onboard list`, on the Home tab, in a digest
    many: int = 2  # contacts, pilot steps, events of each kind…
    # What the channel reads (the checklist, the channel's outbox messages) is built in this.
    language: str = "en"


@dataclass(frozen=True)
class Payload:
    name: str
    # "reply": an ack or an answer to one person, held to the 4,000 characters Slack advises;
    # "message": posted or updated; "view": a modal or the Home tab.
    surface: Literal["reply", "message", "view"]
    text: str | None = None
    blocks: tuple[dict, ...] = ()
    view: dict | None = None


def _blocks(blocks: list[Block | dict]) -> tuple[dict, ...]:
    return tuple(b.to_dict() if isinstance(b, Block) else b for b in blocks)


def _view(view: View) -> dict:
    return view.to_dict()


# ---- data --------------------------------------------------------------------------------------


def template(texts: Texts) -> Template:
    position = 0
    phases = []
    for p, size in enumerate(texts.sizes, start=1):
        steps = []
        for n in range(1, size + 1):
            steps.append(
                Step(
                    number=f"{p}.{n}",
                    phase=p,
                    position=position,
                    title=f"{texts.title} {p}.{n}",
                    summary=texts.summary,
                    links=tuple(Link(texts.link_title, texts.url) for _ in range(texts.many)),
                    artifacts=("sandbox.client_id",) if position == 0 else (),
                )
            )
            position += 1
        phases.append(Phase(number=p, title=texts.phase, steps=tuple(steps)))
    return Template(
        key="catalogue", version=1, title=texts.title, guide_url=texts.url, phases=tuple(phases)
    )


def application(texts: Texts, app_id: int = 1, *, archived: bool = False) -> Application:
    return Application(
        id=app_id,
        team_id="T1",
        slug=f"app-{app_id}",
        name=texts.name,
        channel_id=CHANNEL,
        owner_id=OWNER,
        template_key="catalogue",
        template_version=1,
        created_at=NOW - timedelta(days=30),
        archived_at=NOW if archived else None,
        remind_after_days=2,
        remind_start="09:00",
        remind_end="18:00",
        reminders_on=True,
        contacts_channel_id=CONTACTS_CHANNEL,
    )


def checklist(texts: Texts, tmpl: Template, app: Application) -> Checklist:
    """Half the steps done; every open step assigned, with a due date, some overdue; one in
    three of the rest skipped, with a reason people typed."""
    rows = []
    half = len(tmpl.steps) // 2
    for i, step in enumerate(tmpl.steps):
        done = i < half
        skipped = not done and (i - half) % 3 == 1
        rows.append(
            StepState(
                application_id=app.id,
                step=step.number,
                position=step.position,
                changed_at=NOW - timedelta(days=3),
                done_at=NOW - timedelta(days=1) if done else None,
                done_by=ACTOR if done else None,
                assignee_id=None if done else ASSIGNEE,
                due_on=None if done else TODAY + timedelta(days=i % 5 - 2),
                skipped_at=NOW - timedelta(hours=2) if skipped else None,
                skipped_by=ACTOR if skipped else None,
                skip_reason=texts.note if skipped else None,
            )
        )
    notes = {s.number: texts.many for s in tmpl.steps}
    return build_checklist(app, tmpl, rows, notes)


USER_KINDS = ("assigned", "unassigned", "contact_added", "contact_removed")
EVENT_KINDS = (
    "created", "marked", "unmarked", "assigned", "unassigned", "due", "noted", "renamed",
    "archived", "snoozed", "remind_after", "remind_hours", "reminders", "contact_added",
    "contact_removed", "contacts_channel", "credential_set", "forced", "notification_verified",
    "announced", "not_announced", "withdrawn", "unarchived", "skipped", "unskipped",
    "a_kind_added_later",
)  # fmt: skip


def events(texts: Texts, app: Application) -> list[Event]:
    """History, newest first: every kind of event, with values people typed."""
    found = []
    for i, kind in enumerate(EVENT_KINDS * texts.many):
        if kind in USER_KINDS:
            old, new = ASSIGNEE, CONTACT
        elif kind == "contacts_channel":
            old, new = None, CONTACTS_CHANNEL
        elif kind == "renamed":
            old, new = texts.name, texts.name
        else:
            old, new = texts.value, texts.note
        found.append(
            Event(
                id=1000 - i,
                application_id=app.id,
                step="1.1",
                actor_id="alipay" if kind == "notification_verified" else ACTOR,
                kind=kind,
                old_value=old,
                new_value=new,
                created_at=NOW - timedelta(minutes=i),
            )
        )
    return found


@dataclass(frozen=True)
class Ids:
    """The ids an outbox message is given: a user's, a channel's, and Undeliverable's `to`
    (the target as delivery mentions it)."""

    user: str = ASSIGNEE
    channel: str = CHANNEL
    to: str = f"<@{ASSIGNEE}>"


def message_of(cls: type, text_for: Callable[[str], str], many: int, ids: Ids = Ids()) -> Any:
    """An outbox message (or a part of one) of class `cls`, every field filled from its type:
    ids from `ids`, any other text from `text_for(field name)`."""
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        values[field.name] = _value_of(field.name, hints[field.name], text_for, many, ids)
    return cls(**values)


def _value_of(name: str, hint: Any, text_for: Callable[[str], str], many: int, ids: Ids) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):  # X | None: always the X, to show it
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value_of(name, inner, text_for, many, ids)
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        return tuple(_value_of(name, inner, text_for, many, ids) for _ in range(many))
    if dataclasses.is_dataclass(hint):
        return message_of(hint, text_for, many, ids)
    if hint is str:
        if name in USER_FIELDS:
            return ids.user
        if name in CHANNEL_FIELDS:
            return ids.channel
        if name == "to":
            return ids.to
        return text_for(name)
    if hint is bool:
        return True
    if hint is int:
        return many + 1
    if hint is datetime:
        return NOW
    if hint is date:
        return TODAY
    raise TypeError(f"no value for {name}: {hint!r}")


def outbox_messages(texts: Texts) -> list[Message]:
    # Fields the renderers compare rather than show get a value they know.
    known = {"step": "3.4", "reason": "overdue", "cadence": "weekly", "what": "reminder"}
    known["language"] = texts.language

    def text_for(name: str) -> str:
        if name in ("application", "slug"):
            return texts.name
        if name == "title":
            return texts.title
        if name in ("error", "note"):
            return texts.note
        return known.get(name, texts.value)

    messages = [message_of(cls, text_for, texts.many) for cls in KINDS.values()]
    # A reminder to the owner because the assignee is not in the channel (not away).
    messages += [dataclasses.replace(m, away_until=None) for m in messages if m.KIND == "reminder"]
    return messages


# ---- the portfolio report ---------------------------------------------------------------------


def period_figures(tmpl: Template, period: Period, scale: float, many: int) -> PeriodFigures:
    """A period's figures: every phase finished by a few applications, the slower the later."""
    return PeriodFigures(
        period=period,
        to_go_live=Spread(many + 3, round(40 * scale, 1), round(75 * scale, 1)),
        to_business_start=Spread(many, round(55 * scale, 1), round(90.5 * scale, 1)),
        phases=tuple(
            PhaseSpread(p.number, Spread(many + p.number, 1.5 * p.number * scale, 3.0 * p.number))
            for p in tmpl.phases
        ),
        due_steps=10 * many,
        on_time=round(10 * many * 0.8 * scale),
        reminders_sent=7 * many,
        escalations_sent=many,
    )


def report_of(texts: Texts) -> Report:
    """A report over `texts.applications` applications named `texts.name`: every fourth stuck,
    every ninth complete, a stuck step for each of the first 30, a point a week live."""
    tmpl = template(texts)
    period = Period(NOW - timedelta(days=90), NOW)
    phases = len(tmpl.phases)
    rows = tuple(
        ApplicationRow(
            application_id=i,
            application=texts.name,
            slug=f"app-{i}",
            channel_id=CHANNEL,
            phase=None if i % 9 == 0 else i % phases + 1,
            complete_steps=i % len(tmpl.steps),
            total_steps=len(tmpl.steps),
            last_progress_at=NOW - timedelta(days=i),
            days_since_progress=round(i * 0.7, 1),
            stuck=i % 4 == 0,
            live_at=NOW - timedelta(days=3) if i % 5 == 0 else None,
            business_started_at=None,
        )
        for i in range(1, texts.applications + 1)
    )
    stuck = tuple(
        StuckStep(
            application_id=i,
            application=texts.name,
            slug=f"app-{i}",
            channel_id=CHANNEL,
            step=tmpl.steps[i % len(tmpl.steps)].number,
            owner_id=ASSIGNEE,
            waiting_since=NOW - timedelta(days=30 - i),
            waiting_days=float(22 - i),
        )
        for i in range(min(texts.applications, 30))
    )
    weeks = 13 + 4 * texts.many
    return Report(
        current=period_figures(tmpl, period, 1.0, texts.many),
        previous=period_figures(tmpl, period.previous(), 1.2, texts.many),
        in_progress_by_phase=tuple((p.number, p.number % 3) for p in tmpl.phases),
        stuck=stuck,
        applications=rows,
        live_over_time=tuple(
            LivePoint(TODAY - timedelta(weeks=weeks - w), w // 2) for w in range(weeks)
        ),
    )


def report_payloads(texts: Texts, language: str) -> list[Payload]:
    """`/onboard report`, its last page and its empty form; App Home's portfolio."""
    t = translator(language)
    tmpl = template(texts)
    report = report_of(texts)
    scope = f"<#{CHANNEL}>"
    found = []
    for page in (1, 99):
        text, blocks = report_blocks(report, tmpl, t, scope_label=scope, page=page)
        found.append(Payload(f"report page {page} ({language})", "reply", text, _blocks(blocks)))
    empty = dataclasses.replace(
        report,
        current=PeriodFigures(report.current.period, Spread(0, None, None), Spread(0, None, None),
                              (), 0, 0, 0, 0),
        previous=PeriodFigures(report.previous.period, Spread(0, None, None),
                               Spread(0, None, None), (), 0, 0, 0, 0),
        in_progress_by_phase=(), stuck=(), applications=(), live_over_time=(),
    )  # fmt: skip
    text, blocks = report_blocks(empty, tmpl, t, scope_label=scope)
    found.append(Payload(f"report empty ({language})", "reply", text, _blocks(blocks)))
    home_blocks = portfolio_blocks(report.applications, t)
    portfolio = View(type="home", blocks=home_blocks)
    found.append(Payload(f"portfolio ({language})", "view", view=_view(portfolio)))
    return found


# ---- every payload -----------------------------------------------------------------------------


def payloads(texts: Texts, messages: list[Message] | None = None) -> list[Payload]:
    """What every builder produces for `texts` (and these outbox `messages`, or ones made
    from `texts`)."""
    tmpl = template(texts)
    app = application(texts)
    shown = checklist(texts, tmpl, app)
    step = tmpl.steps[0]
    apps = [application(texts, i, archived=i % 3 == 0) for i in range(1, texts.applications + 1)]
    found: list[Payload] = []

    def reply(name: str, text: str, blocks: list[Block] | None = None) -> None:
        found.append(Payload(name, "reply", text, _blocks(blocks or [])))

    def view(name: str, built: View) -> None:
        found.append(Payload(name, "view", view=_view(built)))

    # The checklist: posted with chat.postMessage, or an ephemeral reply outside its channel.
    everything = Fold.all(range(1, len(tmpl.phases) + 1), True)
    t = translator(texts.language)
    for fold_name, fold in (("default", None), ("expanded", everything)):
        reply(
            f"checklist {fold_name}",
            checklist_fallback_text(shown, t),
            checklist_blocks(shown, TODAY, fold, t=t),
        )
    one_phase = checklist_blocks(shown, TODAY, phase=1, t=t)
    reply("checklist phase 1", checklist_fallback_text(shown, t), one_phase)

    # App Home: the person's steps across applications, and the applications.
    checklists = [checklist(texts, tmpl, a) for a in apps]
    assigned = [home.AssignedStep(c, s) for c in checklists for s in c.steps if s.assignee_id]
    view("home", home.home_view(assigned, checklists, TODAY))
    mine = portfolio_blocks(report_of(texts).applications, translator("en"))
    view("home with portfolio", home.home_view(assigned, checklists, TODAY, portfolio=mine))

    # The step menu's modals.
    context = modals.ModalContext(application_id=app.id, step=step.number)
    view("assign modal", modals.assign_modal(context, texts.name, step, ASSIGNEE))
    view("due modal", modals.due_modal(context, texts.name, step, TODAY, texts.value))
    view("note modal", modals.note_modal(context, texts.name, step))
    view("guide modal", modals.guide_modal(texts.name, step, tmpl.guide_url))

    # The command's replies.
    numbers = [s.number for s in tmpl.steps]
    outcome = MarkOutcome(
        changed=numbers[:3], unchanged=numbers[3:5], open_before=numbers[:2], done_count=5,
        total=len(numbers), withdrawn=tuple(numbers[:2]),
    )  # fmt: skip
    reply("marked", replies.marked(app, tmpl, outcome))
    reply("unmarked", replies.unmarked(app, tmpl, outcome))
    for changed, old_reason in ((True, None), (True, texts.note), (False, texts.note)):
        skip = SkipOutcome(
            step=numbers[-1], changed=changed, reason=texts.note, old_reason=old_reason,
            complete_count=6, skipped_count=1, total=len(numbers), assignee_id=ASSIGNEE,
        )  # fmt: skip
        reply(f"skipped {changed} {old_reason is None}", replies.skipped(app, tmpl, skip))
        reply(f"unskipped {changed}", replies.unskipped(app, tmpl, skip))
    reply("created", replies.created(app, tmpl))
    for existing in (apps[:1], apps):
        reply(f"ask another ({len(existing)})", *new_app.ask_another(texts.name, existing))
    reply("renamed", replies.renamed(texts.name, texts.name, app.slug))
    half = len(apps) // 2
    listing = Listing(
        here=apps[:half],
        elsewhere=apps[half:],
        done={a.id: 3 for a in apps},
        totals={a.id: len(tmpl.steps) for a in apps},
    )
    for page in range(1, len(replies.list_pages(listing)) + 2):  # and one past the last
        reply(f"list page {page}", replies.application_listing(listing, page))
    reply("list of none", replies.application_listing(Listing([], [], {}, {}), 1))
    # Two pages of history, as the use case pages it.
    history = events(texts, app)
    for step_ref, older, page in ((None, False, 0), ("1.1", True, 1)):
        shown_events = history[page * HISTORY_PAGE : (page + 1) * HISTORY_PAGE]
        text, blocks = replies.history_blocks(app, shown_events, step_ref, True, older)
        reply(f"history page {page + 1}", text, blocks)
    reply("no history", replies.history(app, [], None))
    reply("due set", replies.due_set(tmpl, step.number, TODAY, texts.value))
    reply("due cleared", replies.due_set(tmpl, step.number, None, texts.value))
    reply("reminder settings", replies.reminder_settings(app))
    reply("contacts", replies.contacts(app, [CONTACT] * texts.many))

    # The question before a mark announces: every open step, both announcements, a DM each.
    texts_of = outbox_messages(texts)
    announced = [m for m in texts_of if isinstance(m, GoLive | BusinessStart)]
    targets = [CHANNEL, CONTACTS_CHANNEL, *[CONTACT] * texts.many]
    queued = tuple(
        m.for_outbox(dedupe_key=f"k{i}", team_id="T1", target=target)
        for m in announced
        for i, target in enumerate(targets)
    )
    asked = Question(
        application=app,
        steps=tuple(numbers),
        announcing=tuple(numbers[-2:]),
        open_before=tuple(numbers[:-2]),
        missing=(texts.note, texts.value),
        messages=queued,
    )
    reply("announce preview", *announce.preview(tmpl, asked))
    few = dataclasses.replace(asked, steps=tuple(numbers[-1:]), open_before=(numbers[0],))
    reply("announce preview few", *announce.preview(tmpl, few))
    for choice in ("announce", "silent"):
        reply(f"announce {choice}", announce.chosen(tmpl, numbers[-2:], choice, None))
    reply("announce too late", announce.chosen(tmpl, numbers[-1:], "announce", ACTOR))

    # Credentials and signature diagnosis.
    rows = [(env, field, texts.value) for env in ENVIRONMENTS for field in FIELDS]
    reply("creds show", credentials.shown(app, rows))
    text, blocks = credentials.saved_many(app, tmpl, rows, numbers[: texts.many + 1])
    reply("creds saved", text, blocks)
    view("credentials modal", credentials.credentials_modal(app, rows, '{"application_id":1}'))
    view("diagnose modal", credentials.diagnose_modal(app, '{"application_id":1}'))
    view("diagnosis invalid", credentials.diagnosis(False, texts.value, texts.note))
    view("diagnosis valid", credentials.diagnosis(True, "", texts.note))

    # A person's own settings: fixed text but for dates and a validated country code.
    away = MySettings(TODAY + timedelta(days=365), "SG", TODAY, was_away=True)
    for settings in (away, MySettings(None, None, TODAY)):
        for action in ("show", "until", "off"):
            reply(f"away {action}", people.away_reply(settings, action))
        reply("my settings", people.my_reply(settings))

    # Help: fixed text, but it shows syntax like `<slug>` that must not become links.
    for topic in USAGE_BY_NAME:
        reply(f"help {topic}", help_text(topic))
        reply(f"help {topic} zh-CN", help_text(topic, translator("zh-CN")))
    for language in ("en", "zh-CN"):
        reader = translator(language)
        reply(f"help {language}", help_fallback(reader), help_blocks(reader))

    # `/onboard language`: fixed text but for the channel's id, in each language.
    for person in ("en", "zh-CN"):
        for chosen, channel_id, channel in (
            (None, "CPAY", None),
            (person, "CPAY", "zh-CN"),
            (person, None, None),
        ):
            spoken = Languages(person, chosen, "zh-CN", channel_id, channel)
            reply(f"language {person} {chosen} {channel}", languages.languages_reply(spoken))
            reply(f"language mine {person} {chosen}", languages.mine_reply(spoken))
            if channel_id is not None:
                reply(f"language channel {person}", languages.channel_reply(spoken))

    # Every outbox kind, as delivery posts it.
    for message in messages if messages is not None else outbox_messages(texts):
        text, blocks = notifications.render(message)
        found.append(Payload(f"outbox {message.KIND}", "message", text, _blocks(blocks)))
        if isinstance(message, Assignment):  # and to someone not in the channel
            text, blocks = notifications.render(dataclasses.replace(message, in_channel=False))
            found.append(Payload("assignment DM, outsider", "message", text, _blocks(blocks)))
    return found + report_payloads(texts, texts.language)


# ---- what one person sees, in a given language -------------------------------------------------

PERSON_KINDS = ("reminder", "reminders", "step-assignment")
APP_HOME_LINK = "slack://app?team=T1&id=A1&tab=home"


def person_payloads(texts: Texts, language: str) -> list[Payload]:
    """The surfaces only one person sees (reminder and assignment DMs, App Home, the step
    modals) built in `language`: DMs through the outbox rows' `language`, the rest with its
    translator. Overdue and stalled steps, a DM of one step and of many, with and without
    their "…and N more" line; the Home tab full and empty."""
    t = translator(language)
    tmpl = template(texts)
    app = application(texts)
    step = tmpl.steps[0]
    found: list[Payload] = []

    def view(name: str, built: View) -> None:
        found.append(Payload(f"{name} ({language})", "view", view=_view(built)))

    apps = [application(texts, i) for i in range(1, texts.applications + 1)]
    checklists = [checklist(texts, tmpl, a) for a in apps]
    assigned = [home.AssignedStep(c, s) for c in checklists for s in c.steps if s.assignee_id]
    view("home", home.home_view(assigned, checklists, TODAY, t))
    mine = portfolio_blocks(report_of(texts).applications, t)
    view("home with portfolio", home.home_view(assigned, checklists, TODAY, t, portfolio=mine))
    view("home empty", home.home_view([], [], TODAY, t))
    context = modals.ModalContext(application_id=app.id, step=step.number)
    view("assign modal", modals.assign_modal(context, texts.name, step, ASSIGNEE, t))
    view("due modal", modals.due_modal(context, texts.name, step, TODAY, texts.value, t))
    view("note modal", modals.note_modal(context, texts.name, step, t))
    view("guide modal", modals.guide_modal(texts.name, step, tmpl.guide_url, t))
    bare = dataclasses.replace(step, links=())
    view("guide modal no links", modals.guide_modal(texts.name, bare, tmpl.guide_url, t))

    found += _person_replies(texts, language)

    messages: list[Message] = []
    for m in outbox_messages(texts):
        if m.KIND not in PERSON_KINDS:
            continue
        m = dataclasses.replace(m, language=language)
        messages.append(m)
        if m.KIND == "reminder":
            messages.append(dataclasses.replace(m, reason="stalled", waited_days=1))
        elif m.KIND == "reminders":
            stalled = tuple(
                dataclasses.replace(a, steps=tuple(
                    dataclasses.replace(s, reason="stalled", note_by=None) for s in a.steps
                ))
                for a in m.applications
            )  # fmt: skip
            messages.append(dataclasses.replace(m, applications=stalled, app_home=APP_HOME_LINK))
            one = dataclasses.replace(stalled[0], steps=stalled[0].steps[:1])
            messages.append(dataclasses.replace(m, applications=(one,), more=0))
            messages.append(dataclasses.replace(m, applications=(), more=3))
        else:
            messages.append(dataclasses.replace(m, in_channel=False, due_on=None, notes=()))
    for i, message in enumerate(messages):
        text, blocks = notifications.render(message)
        found.append(Payload(f"{message.KIND} {i} ({language})", "message", text, _blocks(blocks)))
    return found


def _person_replies(texts: Texts, language: str) -> list[Payload]:
    """The command's replies converted so far, in `language`."""
    t = translator(language)
    tmpl = template(texts)
    app = application(texts)
    numbers = [s.number for s in tmpl.steps]
    found: list[Payload] = []

    def reply(name: str, text: str) -> None:
        found.append(Payload(f"{name} ({language})", "reply", text))

    for few in (3, 7):  # titled, and by number only
        outcome = MarkOutcome(
            changed=numbers[:few], unchanged=numbers[few:few + 2], open_before=numbers[:2],
            done_count=5, total=len(numbers), withdrawn=tuple(numbers[:2]), skipped_count=1,
        )  # fmt: skip
        reply(f"marked {few}", replies.marked(app, tmpl, outcome, t))
        reply(f"unmarked {few}", replies.unmarked(app, tmpl, outcome, t))
    for changed, old_reason in ((True, None), (True, texts.note), (False, texts.note)):
        skip = SkipOutcome(
            step=numbers[-1], changed=changed, reason=texts.note, old_reason=old_reason,
            complete_count=6, skipped_count=1, total=len(numbers), assignee_id=ASSIGNEE,
        )  # fmt: skip
        reply(f"skipped {changed} {old_reason is None}", replies.skipped(app, tmpl, skip, t))
        reply(f"unskipped {changed}", replies.unskipped(app, tmpl, skip, t))
    reply("created", replies.created(app, tmpl, t))
    reply("renamed", replies.renamed(texts.name, texts.name, app.slug, t))
    reply("due set", replies.due_set(tmpl, numbers[0], TODAY, texts.value, t))
    reply("due cleared", replies.due_set(tmpl, numbers[0], None, texts.value, t))
    for on, holidays in ((True, None), (True, "CN"), (False, None)):
        app.reminders_on, app.remind_holidays = on, holidays
        reply(f"reminder settings {on} {holidays}", replies.reminder_settings(app, t))
    for channel in (CONTACTS_CHANNEL, None):
        app.contacts_channel_id = channel
        reply(f"contacts {channel}", replies.contacts(app, [CONTACT] * texts.many, t))
        reply(f"no contacts {channel}", replies.contacts(app, [], t))
    history = events(texts, app)
    for step_ref, older, page in ((None, False, 0), ("1.1", True, 1)):
        shown_events = history[page * HISTORY_PAGE : (page + 1) * HISTORY_PAGE]
        text, blocks = replies.history_blocks(app, shown_events, step_ref, True, older, UTC, t)
        found.append(
            Payload(f"history page {page + 1} ({language})", "reply", text, _blocks(blocks))
        )
    for step_ref in (None, "1.1"):
        reply(f"no history {step_ref}", replies.history(app, [], step_ref, t=t))
    apps = [application(texts, i, archived=i % 3 == 0) for i in range(1, texts.applications + 1)]
    half = len(apps) // 2
    listing = Listing(
        here=apps[:half],
        elsewhere=apps[half:],
        done={a.id: 3 for a in apps},
        totals={a.id: len(tmpl.steps) for a in apps},
    )
    for page in range(1, len(replies.list_pages(listing)) + 2):  # and one past the last
        reply(f"list page {page}", replies.application_listing(listing, page, t))
    reply("list of none", replies.application_listing(Listing([], [], {}, {}), 1, t))
    reply("reminder marked", replies.reminder_marked(tmpl, numbers[0], t))
    snoozed = replies.reminder_snoozed(tmpl, numbers[0], NOW, "Asia/Shanghai", t)
    reply("reminder snoozed", snoozed)
    return found


# ---- the remaining replies and forms, in a given language ---------------------------------------


def remaining_payloads(texts: Texts, language: str) -> list[Payload]:
    """The second-application question, the ask-first preview (its announcement in the
    channel's language, `texts.language`) and its outcomes, the credentials replies and forms,
    and a person's own settings, built in `language`."""
    t = translator(language)
    tmpl = template(texts)
    app = application(texts)
    numbers = [s.number for s in tmpl.steps]
    apps = [application(texts, i) for i in range(1, texts.applications + 1)]
    found: list[Payload] = []

    def reply(name: str, text: str, blocks: list[Block] | None = None) -> None:
        found.append(Payload(f"{name} ({language})", "reply", text, _blocks(blocks or [])))

    def view(name: str, built: View) -> None:
        found.append(Payload(f"{name} ({language})", "view", view=_view(built)))

    for existing in (apps[:1], apps, [application(texts, i) for i in range(1, 8)]):
        reply(f"ask another ({len(existing)})", *new_app.ask_another(texts.name, existing, t))

    announced = [m for m in outbox_messages(texts) if isinstance(m, GoLive | BusinessStart)]
    targets = [CHANNEL, CONTACTS_CHANNEL, *[CONTACT] * texts.many]
    queued = tuple(
        m.for_outbox(dedupe_key=f"k{i}", team_id="T1", target=target)
        for m in announced
        for i, target in enumerate(targets)
    )
    missing = (
        "no production client ID is recorded (`/onboard creds set production client-id …`)",
        "the production client ID cannot be read here",
    )
    asked = Question(
        application=app,
        steps=tuple(numbers),
        announcing=tuple(numbers[-2:]),
        open_before=tuple(numbers[:-2]),
        missing=missing,
        messages=queued,
    )
    reply("announce preview", *announce.preview(tmpl, asked, t))
    few = dataclasses.replace(asked, steps=tuple(numbers[-1:]), open_before=(numbers[0],))
    reply("announce preview few", *announce.preview(tmpl, few, t))
    for choice in ("announce", "silent"):
        reply(f"announce {choice}", announce.chosen(tmpl, numbers[-2:], choice, None, t=t))
    reply("announce too late", announce.chosen(tmpl, numbers[-1:], "announce", ACTOR, t=t))
    mine = announce.chosen(tmpl, numbers[-1:], "announce", ACTOR, ACTOR, t)
    reply("announce mine already", mine)

    rows = [(env, field, texts.value) for env in ENVIRONMENTS for field in FIELDS]
    reply("creds show", credentials.shown(app, rows, t))
    text, blocks = credentials.saved_many(app, tmpl, rows, numbers[: texts.many + 1], t)
    reply("creds saved", text, blocks)
    metadata = '{"application_id":1}'
    view("credentials modal", credentials.credentials_modal(app, rows, metadata, t))
    view("credentials modal empty", credentials.credentials_modal(app, [], metadata, t))
    view("diagnose modal", credentials.diagnose_modal(app, metadata, t))
    view("diagnosis invalid", credentials.diagnosis(False, texts.value, texts.note, t))
    view("diagnosis valid", credentials.diagnosis(True, "", texts.note, t))
    errors = credentials.read_diagnosis({"state": {"values": {}}}, t)
    assert isinstance(errors, dict)
    for block, error in errors.items():
        reply(f"diagnosis form error {block}", error)

    away = MySettings(TODAY + timedelta(days=365), "SG", TODAY, was_away=True)
    for settings in (away, MySettings(None, None, TODAY)):
        for action in ("show", "until", "off"):
            reply(f"away {action} {settings.was_away}", people.away_reply(settings, action, t))
        reply(f"my settings {settings.was_away}", people.my_reply(settings, t))
    return found + report_payloads(texts, language)
