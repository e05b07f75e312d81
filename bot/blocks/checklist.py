"""The checklist message: a pure function from a Checklist (and how it is folded) to blocks.

Each step is a section with its state (done, skipped with its reason, to do), assignee and
due date, and a Mark done / Undo button.
A section holds one accessory, so the step menu (assign, due date, note, guide) is one select
per phase, grouped by step. Done phases fold to one line unless someone expanded them; the
fold state travels in the header's block_id, so every click can rebuild the same view.

The message is for the channel, so it is built in the channel's language: a `Translator` `t`
(English by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.blocks.mrkdwn import (
    escape_mrkdwn,
    link,
    person_mention,
    shorten,
    user_mention,
    user_text,
)
from bot.i18n import ENGLISH, ENGLISH_TRANSLATOR, N_, Translator
from bot.services.progress import Checklist, PhaseProgress, StepProgress

MAX_BLOCKS = 50  # Slack's limit for a message
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_OPTION_TEXT = 75
# What a title or a name may take of a line once escaped; more is cut with an ellipsis.
MAX_STEP_TITLE = 200
MAX_HEADING_TITLE = 150  # a phase's or the template's
MAX_NAME_TEXT = 200
MAX_REASON_TEXT = 300  # why a step is skipped, escaped, in its line
BAR_WIDTH = 10

# action_ids the listeners subscribe to
TOGGLE_STEP = "checklist_toggle_step"
STEP_MENU = "checklist_step_menu"
TOGGLE_PHASE = "checklist_toggle_phase"
EXPAND_ALL = "checklist_expand_all"
COLLAPSE_ALL = "checklist_collapse_all"

HEADER_BLOCK_PREFIX = "checklist:"
STEP_MENU_CHOICES = (
    ("assign", N_("Assign…")),
    ("due", N_("Set due date…")),
    ("note", N_("Add note…")),
    ("guide", N_("View in guide")),
)


# ---- action values: "<application id>|<step or phase>|<what>" -----------------------------


def action_value(application_id: int, target: str | int, what: str) -> str:
    return f"{application_id}|{target}|{what}"


def parse_action_value(value: str) -> tuple[int, str, str] | None:
    """(application id, target, what) of a value `action_value` made; None for any other
    value, an id that is not ASCII digits within 64 bits (as database ids are) included.
    int() alone would take "٣" or 5,000 digits (and raise)."""
    parts = value.split("|") if isinstance(value, str) else []
    if len(parts) != 3:
        return None
    application = parts[0]
    if not (application.isascii() and application.isdigit() and len(application) <= 19):
        return None
    if not 0 < int(application) <= 2**63 - 1:
        return None
    return int(application), parts[1], parts[2]


# ---- how the message is folded --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fold:
    """Phases someone expanded or collapsed by hand; the rest follow the default
    (done phases folded, the others open)."""

    expanded: frozenset[int] = frozenset()
    collapsed: frozenset[int] = frozenset()

    def is_open(self, phase: PhaseProgress) -> bool:
        number = phase.phase.number
        if number in self.expanded:
            return True
        if number in self.collapsed:
            return False
        return not phase.complete

    def with_phase(self, number: int, open_: bool) -> Fold:
        if open_:
            return Fold(self.expanded | {number}, self.collapsed - {number})
        return Fold(self.expanded - {number}, self.collapsed | {number})

    @staticmethod
    def all(phases: Iterable[int], open_: bool) -> Fold:
        numbers = frozenset(phases)
        return Fold(expanded=numbers) if open_ else Fold(collapsed=numbers)

    def encode(self) -> str:
        return f"e{_csv(self.expanded)};c{_csv(self.collapsed)}"

    @staticmethod
    def decode(text: str) -> Fold:
        try:
            expanded, collapsed = text.split(";")
            return Fold(_numbers(expanded.removeprefix("e")), _numbers(collapsed.removeprefix("c")))
        except ValueError:
            return Fold()


def _csv(numbers: frozenset[int]) -> str:
    return ",".join(map(str, sorted(numbers)))


def _numbers(text: str) -> frozenset[int]:
    return frozenset(int(n) for n in text.split(",") if n)


def header_block_id(application_id: int, fold: Fold) -> str:
    return f"{HEADER_BLOCK_PREFIX}{application_id}:{fold.encode()}"


def fold_from_blocks(blocks: Iterable[dict]) -> Fold:
    """The fold state of a message we built, read back from its header's block_id."""
    for block in blocks:
        block_id = block.get("block_id", "")
        if block_id.startswith(HEADER_BLOCK_PREFIX):
            return Fold.decode(block_id.split(":", 2)[2] if block_id.count(":") >= 2 else "")
    return Fold()


# ---- pieces ---------------------------------------------------------------------------------


def _title(step: Any, t: Translator) -> str:
    """The step's title in the reader's language (English where the template has none)."""
    return step.title_in(t.language)


def day_text(t: Translator, value: date) -> str:
    """A date in a channel message: ISO in English (`2026-12-03`, as it always read), the
    language's own short form otherwise (`12月3日周四`)."""
    return value.isoformat() if t.language == ENGLISH else t.short_day(value)


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total else 0
    return "▰" * filled + "▱" * (width - filled)


def progress_count(
    complete: int, skipped: int, total: int, t: Translator = ENGLISH_TRANSLATOR
) -> str:
    """Steps done or skipped of all, saying how many of them are skipped: "13/19 (1 skipped)"."""
    if skipped:
        return t._(
            "{complete}/{total} ({skipped} skipped)",
            complete=complete,
            total=total,
            skipped=skipped,
        )
    return f"{complete}/{total}"


def _header(name: str, suffix: str) -> str:
    """A plain_text header: the name cut so that `suffix` (the progress) always shows."""
    return shorten(name, MAX_HEADER_TEXT - len(suffix)) + suffix


def _mark(progress: StepProgress) -> str:
    if progress.skipped:
        return "⏭️"
    if progress.done:
        return "✅"
    return "▶️" if progress.active else "⬜"


def step_text(progress: StepProgress, today: date, t: Translator = ENGLISH_TRANSLATOR) -> str:
    mark = _mark(progress)
    title = user_text(_title(progress.step, t), MAX_STEP_TITLE)
    details = []
    if progress.assignee_id:
        details.append(f"👤 {user_mention(progress.assignee_id)}")
    if progress.due_on and not progress.complete:
        due = day_text(t, progress.due_on)
        if progress.overdue(today):
            details.append(t._("📅 due {day} ⚠️ *overdue*", day=due))
        else:
            details.append(t._("📅 due {day}", day=due))
    if progress.done and progress.done_by and progress.done_at:
        done_on = day_text(t, progress.done_at.date())
        details.append(
            t._("done by {person} {day}", person=person_mention(progress.done_by, t), day=done_on)
        )
    if progress.skipped:
        reason = user_text(progress.skip_reason or "", MAX_REASON_TEXT)
        if progress.skipped_by:
            who = person_mention(progress.skipped_by, t)
            details.append(t._("skipped by {person}: “{reason}”", person=who, reason=reason))
        else:
            details.append(t._("skipped: “{reason}”", reason=reason))
    if progress.note_count:
        details.append(f"💬 {progress.note_count}")
    line = f"{mark} *{progress.step.number}* {title}"
    return line + ("\n" + " · ".join(details) if details else "")


def _step_section(
    application_id: int, progress: StepProgress, today: date, t: Translator
) -> SectionBlock:
    number = progress.step.number
    if progress.done:
        button = ButtonElement(
            text=t._("Undo"),
            action_id=TOGGLE_STEP,
            value=action_value(application_id, number, "unmark"),
        )
    else:
        button = ButtonElement(
            text=t._("Mark done"),
            action_id=TOGGLE_STEP,
            value=action_value(application_id, number, "mark"),
            style="primary" if progress.active else None,
        )
    return SectionBlock(
        block_id=f"step:{number}",
        text=MarkdownTextObject(text=step_text(progress, today, t)),
        accessory=button,
    )


def _phase_heading(
    application_id: int, phase: PhaseProgress, open_: bool, t: Translator
) -> SectionBlock:
    total = len(phase.steps)
    title = user_text(phase.phase.title_in(t.language), MAX_HEADING_TITLE)
    skipped = phase.skipped_count
    number = phase.phase.number
    if phase.complete and not open_:
        if skipped:
            text = t._(
                "✅ *{number}. {title}* · all {total} done ({skipped} skipped)",
                number=number,
                title=title,
                total=total,
                skipped=skipped,
            )
        else:
            text = t._(
                "✅ *{number}. {title}* · all {total} done", number=number, title=title, total=total
            )
    else:
        bar = progress_bar(phase.complete_count, total)
        count = progress_count(phase.complete_count, skipped, total, t)
        text = f"*{number}. {title}*  {bar} {count}"
    return SectionBlock(
        block_id=f"phase:{phase.phase.number}",
        text=MarkdownTextObject(text=text),
        accessory=ButtonElement(
            text=t._("Collapse") if open_ else t._("Expand"),
            action_id=TOGGLE_PHASE,
            value=action_value(
                application_id, phase.phase.number, "collapse" if open_ else "expand"
            ),
        ),
    )


def _step_menu(application_id: int, phase: PhaseProgress, t: Translator) -> ActionsBlock:
    groups = [
        OptionGroup(
            label=shorten(f"{s.step.number} {_title(s.step, t)}", MAX_OPTION_TEXT),
            options=[
                Option(value=action_value(application_id, s.step.number, what), label=t._(label))
                for what, label in STEP_MENU_CHOICES
            ],
        )
        for s in phase.steps
    ]
    return ActionsBlock(
        block_id=f"menu:{phase.phase.number}",
        elements=[
            StaticSelectElement(
                action_id=STEP_MENU,
                placeholder=PlainTextObject(text=t._("Step options…")),
                option_groups=groups,
            )
        ],
    )


def _compact_steps(phase: PhaseProgress, today: date, t: Translator) -> list[SectionBlock]:
    """A phase too long for a block per step: its steps as text, in as few sections as fit."""
    sections, lines, size = [], [], 0
    for step in phase.steps:
        line = step_text(step, today, t).replace("\n", " · ")
        if size + len(line) + 1 > MAX_SECTION_TEXT:
            sections.append(SectionBlock(text=MarkdownTextObject(text="\n".join(lines))))
            lines, size = [], 0
        lines.append(line)
        size += len(line) + 1
    if lines:
        sections.append(SectionBlock(text=MarkdownTextObject(text="\n".join(lines))))
    return sections


def _phase_blocks(
    application_id: int,
    phase: PhaseProgress,
    open_: bool,
    today: date,
    compact: bool,
    t: Translator,
) -> list[Block]:
    blocks: list[Block] = [_phase_heading(application_id, phase, open_, t)]
    if not open_:
        return blocks
    if compact:
        blocks.extend(_compact_steps(phase, today, t))
    else:
        blocks.extend(_step_section(application_id, s, today, t) for s in phase.steps)
    blocks.append(_step_menu(application_id, phase, t))
    return blocks


# ---- the message ----------------------------------------------------------------------------


def checklist_blocks(
    checklist: Checklist,
    today: date,
    fold: Fold | None = None,
    phase: int | None = None,
    t: Translator = ENGLISH_TRANSLATOR,
) -> list[Block]:
    """The whole message, in `t`'s language; `phase` limits it to one phase
    (`/onboard status 2`)."""
    fold = fold or Fold()
    application = checklist.application
    phases = [p for p in checklist.phases if phase is None or p.phase.number == phase]
    if phase is not None:
        fold = fold.with_phase(phase, True)
    guide = t._("the guide")
    top: list[Block] = [
        HeaderBlock(
            block_id=header_block_id(application.id, fold),
            text=_header(application.name, f" · {_count(checklist, t)}"),
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"`{escape_mrkdwn(application.slug)}` · "
                    f"{user_text(checklist.template.title_in(t.language), MAX_HEADING_TITLE)} · "
                    f"{link(checklist.template.guide_url, guide)} · "
                    f"{progress_bar(checklist.complete_count, checklist.total)} · "
                    + _legend(checklist, t)
                )
            ]
        ),
        ActionsBlock(
            block_id="fold",
            elements=[
                ButtonElement(
                    text=t._("Expand all"), action_id=EXPAND_ALL, value=str(application.id)
                ),
                ButtonElement(
                    text=t._("Collapse all"), action_id=COLLAPSE_ALL, value=str(application.id)
                ),
            ],
        ),
    ]
    open_phases = {p.phase.number for p in phases if fold.is_open(p)}
    compact: set[int] = set()

    def render() -> list[Block]:
        blocks = list(top)
        for p in phases:
            number = p.phase.number
            open_, compact_ = number in open_phases, number in compact
            blocks.extend(_phase_blocks(application.id, p, open_, today, compact_, t))
        return blocks

    first_open = next((p for p in phases if p.phase.number in open_phases and not p.complete), None)

    def fold_order(p: PhaseProgress) -> tuple[bool, bool, int]:
        # Phases opened by hand go last; among the rest, done ones, then the latest.
        return (p.phase.number in fold.expanded, not p.complete, -p.phase.number)

    blocks = render()
    # Over Slack's limit: fold open phases in that order, keeping the first phase with work
    # to do, and show that one compactly if even it alone is too long.
    while len(blocks) > MAX_BLOCKS:
        foldable = [p for p in phases if p.phase.number in open_phases and p is not first_open]
        if foldable:
            open_phases.discard(min(foldable, key=fold_order).phase.number)
        elif first_open is not None and first_open.phase.number not in compact:
            compact.add(first_open.phase.number)
        else:
            break
        blocks = render()
        top_note = t._("Some phases are folded so the checklist fits in one Slack message.")
        if not any(isinstance(b, ContextBlock) and b.block_id == "folded" for b in top):
            top.append(
                ContextBlock(block_id="folded", elements=[MarkdownTextObject(text=top_note)])
            )
            blocks = render()
    return blocks


def _legend(checklist: Checklist, t: Translator) -> str:
    if checklist.skipped_count:
        return t._("✅ done ▶️ to do now ⬜ later ⏭️ skipped")
    return t._("✅ done ▶️ to do now ⬜ later")


def checklist_fallback_text(checklist: Checklist, t: Translator = ENGLISH_TRANSLATOR) -> str:
    """The message's top-level `text`, in `t`'s language: Slack parses it as mrkdwn too, and
    it is what notifications show, so the name is escaped like everywhere else."""
    name = user_text(checklist.application.name, MAX_NAME_TEXT)
    total = checklist.total
    if checklist.skipped_count:
        return t._(
            "{name}: {complete}/{total} steps complete ({skipped} skipped)",
            name=name,
            complete=checklist.complete_count,
            total=total,
            skipped=checklist.skipped_count,
        )
    return t._(
        "{name}: {done}/{total} steps done", name=name, done=checklist.done_count, total=total
    )


def _count(checklist: Checklist, t: Translator) -> str:
    return progress_count(checklist.complete_count, checklist.skipped_count, checklist.total, t)


def fold_after_click(
    action_id: str, value: str, message_blocks: Sequence[dict[str, Any]]
) -> tuple[int, Fold] | None:
    """(application id, new fold) for a click on a fold button of a message with these
    blocks; None for a value no fold button of ours carries."""
    if action_id == TOGGLE_PHASE:
        parsed = parse_action_value(value)
        if parsed is None or not parsed[1].isdecimal() or parsed[2] not in ("expand", "collapse"):
            return None
        application_id, phase, what = parsed
        fold = fold_from_blocks(message_blocks).with_phase(int(phase), what == "expand")
        return application_id, fold
    if not value.isdecimal():
        return None
    phases = [
        int(b["block_id"].split(":")[1])
        for b in message_blocks
        if str(b.get("block_id", "")).startswith("phase:")
        and str(b["block_id"]).split(":")[1].isdecimal()
    ]
    return int(value), Fold.all(phases, action_id == EXPAND_ALL)
