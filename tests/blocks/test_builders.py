"""The Block Kit builders, as pure functions: data in, blocks out.

No Slack, no database, no mocks. Slack's limits are checked with slack_sdk's own models
(their JsonValidators run on ``to_dict()``) and with tests/blocks/slack_limits.py for those the
models leave out, and every block must survive a round trip through ``Block.parse``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.checklist import (
    COLLAPSE_ALL,
    EXPAND_ALL,
    MAX_BLOCKS,
    STEP_MENU,
    STEP_MENU_CHOICES,
    TOGGLE_PHASE,
    TOGGLE_STEP,
    Fold,
    checklist_blocks,
    fold_from_blocks,
    parse_action_value,
)
from bot.blocks.home import (
    APPLICATION_BLOCKS,
    MARK_FROM_HOME,
    MAX_HOME_BLOCKS,
    AssignedStep,
    home_view,
)
from bot.blocks.modals import (
    ModalContext,
    assign_modal,
    due_modal,
    guide_modal,
    note_modal,
)
from bot.blocks.notifications import render
from bot.checklists import Link, Step, Template, get_template, load_template_file
from bot.outbox_messages import BusinessStart, PilotStep
from bot.services.progress import Checklist, build_checklist
from storage.models import Application, StepState
from tests.blocks.slack_limits import check_blocks, check_view, walk

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
PAST = TODAY - timedelta(days=3)
FUTURE = TODAY + timedelta(days=5)
MAX_HOME = 100

# A long but realistic Slack user id (enterprise grid ids run longer than the usual 11).
LONG_USER = "U01ABCDEFGHJKLMN"
NASTY = "<!channel> & <@U123> <!here> <https://evil.example|click>"

# ---- factories -----------------------------------------------------------------------------


def make_application(
    template: Template, *, app_id: int = 1, name: str = "Acme", channel_id: str = "C1"
) -> Application:
    return Application(
        id=app_id,
        team_id="T1",
        slug=f"app-{app_id}",
        name=name,
        channel_id=channel_id,
        owner_id="U1",
        template_key=template.key,
        template_version=template.version,
        created_at=datetime(2025, 1, 2, 8, 0, tzinfo=UTC),
    )


def make_checklist(
    template: Template,
    states: dict[str, dict[str, Any]] | None = None,
    *,
    app_id: int = 1,
    name: str = "Acme",
    channel_id: str = "C1",
) -> Checklist:
    """A Checklist from a template and, per step number, any of:
    done (bool), done_by, assignee, due (date), notes (count), skipped (the reason)."""
    states = states or {}
    unknown = set(states) - {s.number for s in template.steps}
    assert not unknown, f"not steps of the template: {unknown}"
    rows = []
    for step in template.steps:
        state = states.get(step.number, {})
        done = bool(state.get("done"))
        rows.append(
            StepState(
                application_id=app_id,
                step=step.number,
                position=step.position,
                changed_at=NOW - timedelta(days=1),
                done_at=NOW - timedelta(hours=2) if done else None,
                done_by=state.get("done_by", "UDONE" if done else None),
                assignee_id=state.get("assignee"),
                due_on=state.get("due"),
                skipped_at=NOW - timedelta(hours=1) if state.get("skipped") else None,
                skipped_by="USKIP" if state.get("skipped") else None,
                skip_reason=state.get("skipped"),
            )
        )
    notes = {number: s["notes"] for number, s in states.items() if s.get("notes")}
    application = make_application(template, app_id=app_id, name=name, channel_id=channel_id)
    return build_checklist(application, template, rows, notes)


def done_states(template: Template, numbers: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {n: {"done": True} for n in numbers}


# ---- 60-step templates, written as TOML --------------------------------------------------

_VERBS = (
    "Configure", "Register", "Verify", "Document", "Rotate", "Review",
    "Upload", "Reconcile", "Enable", "Validate", "Schedule", "Confirm",
)  # fmt: skip
_OBJECTS = (
    "the merchant settlement account details",
    "production notification endpoints",
    "refund and cancellation handling",
    "the in-store QR code terminals",
    "signature verification on callbacks",
    "the sandbox test wallet accounts",
    "currency conversion and rounding rules",
)
_SUFFIXES = (
    "with the finance team",
    "before the pilot store opens",
    "in the Developer Center console",
    "for every cashier terminal",
    "against Alipay's acceptance suites",
)


def realistic_title(i: int) -> str:
    title = f"{_VERBS[i % len(_VERBS)]} {_OBJECTS[i % len(_OBJECTS)]}"
    title += f" {_SUFFIXES[i % len(_SUFFIXES)]}"
    while len(title) > 70:
        title = title.rsplit(" ", 1)[0]
    if len(title) < 50:
        title += " and record the outcome"
    return title


def write_template(directory: Path, key: str, sizes: Sequence[int], **titles: str) -> Path:
    """A template file with phases of the given sizes; ``titles`` overrides step titles by
    step number (``s1_2="…"`` for step 1.2) and phase titles (``p1="…"``)."""
    q = json.dumps  # a JSON string is a valid TOML basic string
    lines = [
        f"key = {q(key)}",
        "version = 1",
        f"title = {q('Synthetic guide ' + key)}",
        'guide_url = "https://example.com/guide"',
    ]
    i = 0
    for p, size in enumerate(sizes, start=1):
        phase_title = titles.get(f"p{p}", f"Phase {p}: {realistic_title(p)[:40]}")
        lines += ["", "[[phases]]", f"number = {p}", f"title = {q(phase_title)}"]
        for n in range(1, size + 1):
            title = titles.get(f"s{p}_{n}", realistic_title(i))
            lines += [
                "",
                "[[phases.steps]]",
                f'number = "{p}.{n}"',
                f"title = {q(title)}",
                f"summary = {q('What to do for ' + title.lower() + ', in our own words.')}",
                f'links = [{{ title = "Guide {p}.{n}", url = "https://example.com/g#s{p}-{n}" }}]',
            ]
            i += 1
    path = directory / f"{key}-v1.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SIXTY_SIZES = (5,) * 12
UNEVEN_SIZES = (4, 30, 6, 2, 9, 1, 5, 3)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Template]:
    directory = tmp_path_factory.mktemp("templates")
    sixty = load_template_file(write_template(directory, "sixty", SIXTY_SIZES))
    uneven = load_template_file(write_template(directory, "uneven", UNEVEN_SIZES))
    return {"builtin": get_template(), "sixty": sixty, "uneven": uneven}


def test_synthetic_templates_are_what_they_claim(templates: dict[str, Template]) -> None:
    for key, sizes in (("sixty", SIXTY_SIZES), ("uneven", UNEVEN_SIZES)):
        template = templates[key]
        assert len(template.steps) == 60
        assert tuple(len(p.steps) for p in template.phases) == sizes
        assert all(50 <= len(s.title) <= 70 for s in template.steps)
    assert len(templates["builtin"].steps) == 19


# ---- checking blocks against slack_sdk -----------------------------------------------------


def validated(blocks: Sequence[Block], limit: int = MAX_BLOCKS) -> list[dict]:
    """Every block validates and round-trips; block_ids are unique; at most `limit` blocks."""
    assert len(blocks) <= limit, f"{len(blocks)} blocks, Slack allows {limit}"
    dicts = []
    for block in blocks:
        assert isinstance(block, Block)
        data = block.to_dict()  # runs slack_sdk's JsonValidators, nested objects included
        parsed = Block.parse(data)
        assert type(parsed) is type(block)
        assert parsed.to_dict() == data
        dicts.append(data)
    check_blocks(dicts, limit)  # unique block_ids and action_ids, every length and count
    return dicts


def validated_view(view: View) -> dict:
    data = view.to_dict()  # title ≤ 24, 1–100 blocks, private_metadata ≤ 3000, …
    limit = MAX_HOME if view.type == "home" else 100
    validated(view.blocks, limit)
    check_view(data)
    assert View(**data).to_dict() == data
    return data


def mrkdwn_texts(dicts: Any) -> list[str]:
    return [d["text"] for d in walk(dicts) if d.get("type") == "mrkdwn"]


def plain_texts(dicts: Any) -> list[str]:
    return [d["text"] for d in walk(dicts) if d.get("type") == "plain_text"]


# What may legitimately sit between < and > in our mrkdwn: a user or channel mention, a link.
CONTROL = re.compile(r"<([^>]*)>")
ALLOWED_CONTROL = re.compile(r"@[UW][A-Z0-9]+|#C[A-Z0-9]+|https?://[^|<>\s]+(\|[^<>]*)?")
RAW_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")


def assert_safe_mrkdwn(text: str, *, mentions: Sequence[str] = ()) -> None:
    """No control sequence in `text` other than links and the mentions we put there."""
    assert "<!" not in text, text
    for match in CONTROL.finditer(text):
        inner = match.group(1)
        assert ALLOWED_CONTROL.fullmatch(inner), f"stray control sequence {match.group()!r}"
        if inner.startswith("@"):
            assert inner[1:] in mentions, f"unexpected mention {match.group()!r} in {text!r}"
    assert not RAW_AMPERSAND.search(text), text


def blocks_by_id(dicts: Sequence[dict]) -> dict[str, dict]:
    return {d["block_id"]: d for d in dicts if "block_id" in d}


def step_sections(dicts: Sequence[dict]) -> dict[str, dict]:
    return {
        d["block_id"].removeprefix("step:"): d
        for d in dicts
        if d.get("block_id", "").startswith("step:")
    }


def header_text(dicts: Sequence[dict]) -> str:
    (header,) = [d for d in dicts if d["type"] == "header"]
    return header["text"]["text"]


def all_step_numbers_shown(dicts: Sequence[dict], template: Template, phase: int) -> bool:
    text = "\n".join(mrkdwn_texts(dicts))
    return all(f"*{s.number}*" in text for s in template.phase(phase).steps)


# ---- every template size, every state: within Slack's limits -------------------------------


def _state(template: Template, progress: str, busy: bool) -> dict[str, dict[str, Any]]:
    steps = template.steps
    done = {"none": 0, "half": len(steps) // 2, "all": len(steps)}[progress]
    states: dict[str, dict[str, Any]] = {}
    for i, step in enumerate(steps):
        state: dict[str, Any] = {"done": i < done}
        if busy:
            state.update(assignee=LONG_USER, due=PAST, notes=9999, done_by=LONG_USER)
        states[step.number] = state
    return states


def _fold(template: Template, fold: str) -> Fold | None:
    numbers = range(1, len(template.phases) + 1)
    folds = {"expand": Fold.all(numbers, True), "collapse": Fold.all(numbers, False)}
    return folds.get(fold)


@pytest.mark.parametrize("busy", [False, True], ids=["plain", "busy"])
@pytest.mark.parametrize("fold", ["default", "expand", "collapse"])
@pytest.mark.parametrize("progress", ["none", "half", "all"])
@pytest.mark.parametrize("key", ["builtin", "sixty", "uneven"])
def test_checklist_fits_in_one_message(
    templates: dict[str, Template], key: str, progress: str, fold: str, busy: bool
) -> None:
    template = templates[key]
    checklist = make_checklist(template, _state(template, progress, busy))
    blocks = checklist_blocks(checklist, TODAY, _fold(template, fold))
    dicts = validated(blocks)

    # Nothing is lost: every phase keeps its heading, the header its progress.
    phase_ids = [d["block_id"] for d in dicts if d.get("block_id", "").startswith("phase:")]
    assert phase_ids == [f"phase:{p.number}" for p in template.phases]
    assert header_text(dicts) == f"Acme · {checklist.done_count}/{len(template.steps)}"
    for text in mrkdwn_texts(dicts):
        assert_safe_mrkdwn(text, mentions=[LONG_USER, "UDONE"])
    # The first phase with work to do is open, step by step or compactly.
    first_open = next((p for p in checklist.phases if not p.complete), None)
    if first_open is not None and fold != "collapse":
        assert all_step_numbers_shown(dicts, template, first_open.phase.number)
    # When phases were folded to fit, the message says so.
    if key != "builtin" and fold == "expand":
        assert "folded" in blocks_by_id(dicts)


@pytest.mark.parametrize("key", ["builtin", "sixty", "uneven"])
def test_one_phase_fits_in_one_message(templates: dict[str, Template], key: str) -> None:
    template = templates[key]
    for progress in ("none", "all"):
        checklist = make_checklist(template, _state(template, progress, busy=True))
        for phase in template.phases:
            dicts = validated(checklist_blocks(checklist, TODAY, phase=phase.number))
            assert all_step_numbers_shown(dicts, template, phase.number)


def test_block_counts_stay_well_under_the_limit(templates: dict[str, Template]) -> None:
    builtin, sixty = templates["builtin"], templates["sixty"]
    phases_1_2 = [s.number for s in builtin.steps if s.phase in (1, 2)]
    counts = {
        "builtin default": checklist_blocks(make_checklist(builtin), TODAY),
        "builtin 1-2 done": checklist_blocks(
            make_checklist(builtin, done_states(builtin, phases_1_2)), TODAY
        ),
        "builtin expand all": checklist_blocks(
            make_checklist(builtin), TODAY, Fold.all(range(1, 6), True)
        ),
        "sixty default": checklist_blocks(make_checklist(sixty), TODAY),
        "sixty expand all": checklist_blocks(
            make_checklist(sixty), TODAY, Fold.all(range(1, 13), True)
        ),
    }
    sizes = {name: len(validated(blocks)) for name, blocks in counts.items()}
    # 3 top blocks, then per phase a heading and, when open, a section per step and a menu.
    assert sizes["builtin default"] == 3 + 5 + 19 + 5
    assert sizes["builtin 1-2 done"] == 3 + 5 + 9 + 3
    assert sizes["builtin expand all"] == sizes["builtin default"]
    assert all(size <= MAX_BLOCKS for size in sizes.values()), sizes


# ---- content of the checklist message ------------------------------------------------------


@pytest.fixture
def builtin(templates: dict[str, Template]) -> Template:
    return templates["builtin"]


def test_header_shows_name_and_progress(builtin: Template) -> None:
    states = done_states(builtin, ["1.1", "1.2", "1.3"])
    dicts = validated(checklist_blocks(make_checklist(builtin, states), TODAY))
    assert header_text(dicts) == "Acme · 3/19"
    assert dicts[0]["type"] == "header"


def test_step_buttons_mark_and_undo(builtin: Template) -> None:
    checklist = make_checklist(builtin, done_states(builtin, ["1.1", "1.2"]), app_id=42)
    dicts = validated(checklist_blocks(checklist, TODAY))
    steps = step_sections(dicts)
    for number in ("1.1", "1.2"):
        button = steps[number]["accessory"]
        assert button["action_id"] == TOGGLE_STEP
        assert button["text"]["text"] == "Undo"
        assert parse_action_value(button["value"]) == (42, number, "unmark")
        assert "✅" in steps[number]["text"]["text"]
        assert "<@UDONE>" in steps[number]["text"]["text"]
    for number in ("1.3", "1.4", "2.1", "5.1"):
        button = steps[number]["accessory"]
        assert button["action_id"] == TOGGLE_STEP
        assert button["text"]["text"] == "Mark done"
        assert parse_action_value(button["value"]) == (42, number, "mark")


def test_first_active_step_is_primary(builtin: Template) -> None:
    dicts = validated(
        checklist_blocks(make_checklist(builtin, done_states(builtin, ["1.1"])), TODAY)
    )
    steps = step_sections(dicts)
    assert steps["1.2"]["accessory"].get("style") == "primary"
    assert "▶️" in steps["1.2"]["text"]["text"]
    for number, section in steps.items():
        if number != "1.2":
            assert "style" not in section["accessory"], number


def test_skipped_step_is_active_too(builtin: Template) -> None:
    # 1.3 is marked with 1.2 not done: 1.2 still needs doing, so it is active.
    dicts = validated(
        checklist_blocks(make_checklist(builtin, done_states(builtin, ["1.1", "1.3"])), TODAY)
    )
    steps = step_sections(dicts)
    assert steps["1.2"]["accessory"].get("style") == "primary"
    assert "style" not in steps["1.4"]["accessory"]


def test_a_skipped_step_shows_skipped_with_its_reason_and_counts_as_complete(
    builtin: Template,
) -> None:
    """1.1 done, 1.2 skipped (as is 4.2, ahead of time): 1.3 is the step to do now, 1.2 shows
    ⏭️ with who skipped it and why, and progress counts it; 4.1 (before 4.2) stays later."""
    states = done_states(builtin, ["1.1"]) | {
        "1.2": {"skipped": "QR only <!channel>", "due": TODAY - timedelta(days=3)},
        "4.2": {"skipped": "no NFC"},
    }
    dicts = validated(checklist_blocks(make_checklist(builtin, states), TODAY))
    assert header_text(dicts) == "Acme · 3/19 (2 skipped)"
    steps = step_sections(dicts)
    text = steps["1.2"]["text"]["text"]
    assert text.startswith("⏭️ *1.2* ") and "skipped by <@USKIP>: “QR only &lt;!channel&gt;”" in text
    assert "overdue" not in text and "due" not in text  # a skipped step is not late
    assert steps["1.2"]["accessory"]["text"]["text"] == "Mark done"
    assert "style" not in steps["1.2"]["accessory"]
    assert (
        steps["1.3"]["accessory"].get("style") == "primary" and "▶️" in steps["1.3"]["text"]["text"]
    )
    assert "⬜" in steps["4.1"]["text"]["text"]  # a later skip does not make it active
    (phase_1,) = [d for d in dicts if d.get("block_id") == "phase:1"]
    assert "2/5 (1 skipped)" in phase_1["text"]["text"]
    assert "⏭️ skipped" in json.dumps(dicts, ensure_ascii=False)
    complete = done_states(builtin, ["4.1", "4.3"]) | {"4.2": {"skipped": "no NFC"}}
    folded = validated(checklist_blocks(make_checklist(builtin, complete), TODAY))
    (phase_4,) = [d for d in folded if d.get("block_id") == "phase:4"]
    assert "all 3 done (1 skipped)" in phase_4["text"]["text"]


def test_home_counts_skipped_steps_as_progress(builtin: Template) -> None:
    states = done_states(builtin, ["1.1", "1.2"]) | {"1.3": {"skipped": "no"}}
    data = validated_view(home_view([], [make_checklist(builtin, states)], TODAY))
    joined = "\n".join(mrkdwn_texts(data["blocks"]))
    assert "3/19 (1 skipped)" in joined and "Next: 1.4 " in joined


def test_due_dates_assignee_and_notes(builtin: Template) -> None:
    states = {
        "1.1": {"assignee": "U0ALICE", "due": PAST, "notes": 2},
        "1.2": {"assignee": "U0BOB", "due": FUTURE},
        "1.3": {"due": TODAY},
        "1.4": {"done": True, "due": PAST},
    }
    steps = step_sections(validated(checklist_blocks(make_checklist(builtin, states), TODAY)))
    text = {number: section["text"]["text"] for number, section in steps.items()}
    assert "<@U0ALICE>" in text["1.1"]
    assert f"due {PAST.isoformat()}" in text["1.1"]
    assert "overdue" in text["1.1"]
    assert "💬 2" in text["1.1"]
    assert "<@U0BOB>" in text["1.2"]
    assert f"due {FUTURE.isoformat()}" in text["1.2"]
    assert "overdue" not in text["1.2"]
    assert "overdue" not in text["1.3"]  # due today is not late yet
    assert "📅" not in text["1.4"]  # a done step's due date no longer matters
    assert "<@" not in text["1.5"]


def test_user_text_is_escaped_in_mrkdwn(tmp_path: Path) -> None:
    path = write_template(
        tmp_path,
        "nasty",
        (2, 1),
        p1=f"Phase {NASTY}",
        s1_1=f"Tell {NASTY} about it",
        s1_2="Check R&D <@U123> sign-off",
    )
    template = load_template_file(path)
    checklist = make_checklist(template, {"1.1": {"assignee": "U0ALICE"}}, name=NASTY)
    blocks = checklist_blocks(checklist, TODAY, Fold.all([1, 2], True))
    dicts = validated(blocks)
    texts = mrkdwn_texts(dicts)
    for text in texts:
        assert_safe_mrkdwn(text, mentions=["U0ALICE"])
    joined = "\n".join(texts)
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in joined
    assert "R&amp;D" in joined
    # plain_text is shown as typed (Slack does not parse it), cut to Slack's limits
    assert header_text(dicts).startswith(NASTY)
    assert not any("&lt;" in t for t in plain_texts(dicts))


def test_done_phase_folds_to_one_line(builtin: Template) -> None:
    numbers = [s.number for s in builtin.steps if s.phase in (1, 2)]
    checklist = make_checklist(builtin, done_states(builtin, numbers))
    dicts = validated(checklist_blocks(checklist, TODAY))
    by_id = blocks_by_id(dicts)
    for phase in (1, 2):
        heading = by_id[f"phase:{phase}"]
        assert "all 5 done" in heading["text"]["text"]
        button = heading["accessory"]
        assert button["action_id"] == TOGGLE_PHASE
        assert button["text"]["text"] == "Expand"
        assert parse_action_value(button["value"]) == (1, str(phase), "expand")
        assert f"menu:{phase}" not in by_id
    assert not [n for n in step_sections(dicts) if n.startswith(("1.", "2."))]
    open_heading = by_id["phase:3"]
    assert open_heading["accessory"]["text"]["text"] == "Collapse"
    assert parse_action_value(open_heading["accessory"]["value"]) == (1, "3", "collapse")
    assert "0/5" in open_heading["text"]["text"]

    # Expanded by hand, the done phase shows its steps with Undo buttons.
    dicts = validated(checklist_blocks(checklist, TODAY, Fold().with_phase(1, True)))
    steps = step_sections(dicts)
    assert [steps[f"1.{n}"]["accessory"]["text"]["text"] for n in range(1, 6)] == ["Undo"] * 5
    assert "2.1" not in steps


def test_expand_and_collapse_all_buttons(builtin: Template) -> None:
    dicts = validated(checklist_blocks(make_checklist(builtin, app_id=7), TODAY))
    fold_actions = blocks_by_id(dicts)["fold"]
    assert [e["action_id"] for e in fold_actions["elements"]] == [EXPAND_ALL, COLLAPSE_ALL]
    assert [e["value"] for e in fold_actions["elements"]] == ["7", "7"]


def test_collapse_all_leaves_only_headings(builtin: Template) -> None:
    checklist = make_checklist(builtin)
    dicts = validated(checklist_blocks(checklist, TODAY, Fold.all(range(1, 6), False)))
    assert step_sections(dicts) == {}
    assert len(dicts) == 3 + 5


@pytest.mark.parametrize(
    "fold",
    [
        Fold(),
        Fold.all(range(1, 6), True),
        Fold.all(range(1, 6), False),
        Fold(expanded=frozenset({1, 4}), collapsed=frozenset({2})),
    ],
    ids=["default", "expand-all", "collapse-all", "mixed"],
)
def test_fold_round_trips_through_the_header(builtin: Template, fold: Fold) -> None:
    checklist = make_checklist(builtin, done_states(builtin, ["1.1", "1.2", "1.3", "1.4", "1.5"]))
    blocks = checklist_blocks(checklist, TODAY, fold)
    assert fold_from_blocks([b.to_dict() for b in blocks]) == fold
    assert isinstance(blocks[0], HeaderBlock)


def test_fold_round_trips_on_sixty_steps(templates: dict[str, Template]) -> None:
    sixty = templates["sixty"]
    fold = Fold(expanded=frozenset(range(1, 13, 2)), collapsed=frozenset(range(2, 13, 2)))
    blocks = checklist_blocks(make_checklist(sixty), TODAY, fold)
    assert fold_from_blocks(validated(blocks)) == fold


def test_fold_from_foreign_blocks_is_default() -> None:
    assert fold_from_blocks([]) == Fold()
    assert fold_from_blocks([{"type": "section", "block_id": "x"}, {"type": "divider"}]) == Fold()
    assert fold_from_blocks([{"block_id": "checklist:1:garbage"}]) == Fold()
    assert fold_from_blocks([{"block_id": "checklist:"}]) == Fold()
    assert Fold.decode("e1,x;c") == Fold()


def test_phase_option_renders_only_that_phase(builtin: Template) -> None:
    for done in ([], [s.number for s in builtin.phase(2).steps]):
        checklist = make_checklist(builtin, done_states(builtin, done))
        dicts = validated(checklist_blocks(checklist, TODAY, phase=2))
        ids = [d["block_id"] for d in dicts if "block_id" in d]
        assert [i for i in ids if i.startswith("phase:")] == ["phase:2"]
        assert sorted(step_sections(dicts)) == [f"2.{n}" for n in range(1, 6)]
        assert [i for i in ids if i.startswith("menu:")] == ["menu:2"]
        assert header_text(dicts) == f"Acme · {len(done)}/19"  # overall progress


def test_step_menu_groups_every_step(builtin: Template) -> None:
    dicts = validated(checklist_blocks(make_checklist(builtin, app_id=9), TODAY))
    by_id = blocks_by_id(dicts)
    for phase in builtin.phases:
        menu = by_id[f"menu:{phase.number}"]
        (select,) = menu["elements"]
        assert select["type"] == "static_select"
        assert select["action_id"] == STEP_MENU
        groups = select["option_groups"]
        assert len(groups) == len(phase.steps)
        for step, group in zip(phase.steps, groups, strict=True):
            assert group["label"]["text"].startswith(f"{step.number} ")
            values = [parse_action_value(o["value"]) for o in group["options"]]
            assert values == [(9, step.number, what) for what, _ in STEP_MENU_CHOICES]
            assert {what for _, _, what in values} == {"assign", "due", "note", "guide"}


def test_step_menu_labels_are_cut_to_fit(templates: dict[str, Template]) -> None:
    uneven = templates["uneven"]
    dicts = validated(checklist_blocks(make_checklist(uneven), TODAY, phase=2))
    (select,) = blocks_by_id(dicts)["menu:2"]["elements"]
    assert len(select["option_groups"]) == 30
    assert all(len(g["label"]["text"]) <= 75 for g in select["option_groups"])


def test_action_values_reject_garbage() -> None:
    assert parse_action_value("1|1.1|mark") == (1, "1.1", "mark")
    for garbage in ("", "1", "x|1.1|mark", "1|1.1", "1|1.1|mark|extra", "-1|1.1|mark"):
        assert parse_action_value(garbage) is None


# ---- big templates: what is folded and what stays usable ------------------------------------


def test_sixty_steps_keep_the_first_open_phase_clickable(templates: dict[str, Template]) -> None:
    sixty = templates["sixty"]
    done = [s.number for s in sixty.steps[:12]]  # phases 1–2 and 3.1, 3.2
    checklist = make_checklist(sixty, done_states(sixty, done))
    for fold in (None, Fold.all(range(1, 13), True)):
        dicts = validated(checklist_blocks(checklist, TODAY, fold))
        steps = step_sections(dicts)
        assert {f"3.{n}" for n in range(1, 6)} <= set(steps)
        assert steps["3.3"]["accessory"]["style"] == "primary"


def test_thirty_step_phase_is_shown_compactly(templates: dict[str, Template]) -> None:
    uneven = templates["uneven"]
    done = [s.number for s in uneven.phase(1).steps]
    checklist = make_checklist(
        uneven, {n: {"done": True} for n in done} | {"2.7": {"assignee": "U0ALICE", "due": PAST}}
    )
    dicts = validated(checklist_blocks(checklist, TODAY, Fold.all(range(1, 9), True)))
    assert all_step_numbers_shown(dicts, uneven, 2)
    assert "folded" in blocks_by_id(dicts)
    text = "\n".join(mrkdwn_texts(dicts))
    assert "<@U0ALICE>" in text and "overdue" in text
    # The phase's step menu is still there for all 30 steps.
    assert len(blocks_by_id(dicts)["menu:2"]["elements"][0]["option_groups"]) == 30


def test_expand_button_opens_a_phase_folded_to_fit(templates: dict[str, Template]) -> None:
    sixty = templates["sixty"]
    checklist = make_checklist(sixty)
    before = step_sections(validated(checklist_blocks(checklist, TODAY)))
    assert "12.1" not in before  # folded so the message fits
    # The person clicks phase 12's "Expand": its steps should now show.
    after = step_sections(
        validated(checklist_blocks(checklist, TODAY, Fold().with_phase(12, True)))
    )
    assert "12.1" in after


# ---- App Home ------------------------------------------------------------------------------


def _assigned(template: Template, items: Sequence[tuple[int, str, date | None]]) -> list:
    """AssignedStep for (application id, step, due) triples, one checklist per application."""
    checklists: dict[int, Checklist] = {}
    dues: dict[int, dict[str, dict[str, Any]]] = {}
    for app_id, number, due in items:
        dues.setdefault(app_id, {})[number] = {"assignee": "U0ME", "due": due}
    for app_id, states in dues.items():
        checklists[app_id] = make_checklist(
            template, states, app_id=app_id, name=f"App {app_id}", channel_id=f"C{app_id}"
        )
    return [AssignedStep(checklists[a], checklists[a].step(n)) for a, n, _ in items]


def _home_sections(data: dict) -> list[dict]:
    return [b for b in data["blocks"] if b.get("accessory", {}).get("action_id") == MARK_FROM_HOME]


def test_home_orders_overdue_first_then_due_date_then_none(builtin: Template) -> None:
    items = [
        (1, "1.1", None),
        (1, "1.2", FUTURE + timedelta(days=3)),
        (2, "2.1", TODAY - timedelta(days=1)),
        (2, "1.3", FUTURE),
        (1, "1.4", PAST - timedelta(days=10)),
        (2, "1.5", None),
        (1, "3.1", TODAY),
    ]
    data = validated_view(home_view(_assigned(builtin, items), [], TODAY))
    assert data["type"] == "home"
    sections = _home_sections(data)
    order = [parse_action_value(s["accessory"]["value"]) for s in sections]
    assert order == [
        (1, "1.4", "mark"),  # overdue the longest
        (2, "2.1", "mark"),  # overdue since yesterday
        (1, "3.1", "mark"),  # due today
        (2, "1.3", "mark"),
        (1, "1.2", "mark"),
        (1, "1.1", "mark"),  # no date: App 1 before App 2
        (2, "1.5", "mark"),
    ]
    for section in sections:
        assert section["accessory"]["text"]["text"] == "Mark done"
    texts = [s["text"]["text"] for s in sections]
    assert "overdue" in texts[0] and "overdue" in texts[1]
    assert not any("overdue" in t for t in texts[2:])
    assert "<#C1>" in texts[0] and "<#C2>" in texts[1]


def test_home_lists_applications_with_progress(builtin: Template) -> None:
    apps = [
        make_checklist(builtin, done_states(builtin, ["1.1", "1.2"]), app_id=1, name="Acme"),
        make_checklist(builtin, app_id=2, name=NASTY, channel_id="C2"),
    ]
    data = validated_view(home_view([], apps, TODAY))
    texts = mrkdwn_texts(data["blocks"])
    joined = "\n".join(texts)
    assert "*Acme* in <#C1>" in joined and "2/19" in joined
    assert "Next: 1.3 " in joined
    assert "&lt;!channel&gt;" in joined
    for text in texts:
        assert_safe_mrkdwn(text)


def test_home_empty_states(builtin: Template) -> None:
    data = validated_view(home_view([], [], TODAY))
    texts = "\n".join(mrkdwn_texts(data["blocks"]))
    assert "No open steps are assigned to you" in texts
    assert "/onboard new" in texts
    headers = [b["text"]["text"] for b in data["blocks"] if b["type"] == "header"]
    assert headers == ["Your steps", "Applications in your channels"]


def test_home_empty_state_has_no_stray_link() -> None:
    data = validated_view(home_view([], [], TODAY))
    for text in mrkdwn_texts(data["blocks"]):
        assert_safe_mrkdwn(text)


def test_home_escapes_user_text(tmp_path: Path) -> None:
    template = load_template_file(write_template(tmp_path, "nasty", (1,), s1_1=f"Do {NASTY}"))
    checklist = make_checklist(template, {"1.1": {"assignee": "U0ME"}}, name=NASTY)
    data = validated_view(
        home_view([AssignedStep(checklist, checklist.step("1.1"))], [checklist], TODAY)
    )
    for text in mrkdwn_texts(data["blocks"]):
        assert_safe_mrkdwn(text)


def _many_assigned(templates: dict[str, Template], count: int) -> list[AssignedStep]:
    sixty = templates["sixty"]
    items = []
    for i in range(count):
        step = sixty.steps[i % 60]
        items.append((1 + i // 60, step.number, TODAY + timedelta(days=i % 7 - 3)))
    return _assigned(sixty, items)


def test_home_is_capped_at_100_blocks(templates: dict[str, Template]) -> None:
    assigned = _many_assigned(templates, 150)
    apps = [make_checklist(templates["sixty"], app_id=10 + i) for i in range(30)]
    data = validated_view(home_view(assigned, apps, TODAY))
    blocks = data["blocks"]
    assert len(blocks) == MAX_HOME_BLOCKS == MAX_HOME
    notes = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert [n.split(" more")[0] for n in notes if "more" in n] == [
        f"…and {150 - len(_home_sections(data))}",
        f"…and {30 - APPLICATION_BLOCKS + 1}",
    ]
    # The steps shown are still the most urgent ones, with their buttons, and the
    # applications part keeps its share of the page.
    sections = _home_sections(data)
    assert len(sections) == MAX_HOME - 3 - APPLICATION_BLOCKS - 1
    assert all(parse_action_value(s["accessory"]["value"]) for s in sections)
    assert "overdue" in sections[0]["text"]["text"]


def test_home_just_under_the_cap_is_not_cut(templates: dict[str, Template]) -> None:
    # header + steps + divider + header + empty-applications context = 100
    data = validated_view(home_view(_many_assigned(templates, 96), [], TODAY))
    assert len(data["blocks"]) == 100
    assert "more" not in data["blocks"][-1]["elements"][0]["text"]


def test_home_more_counts_hidden_items(templates: dict[str, Template]) -> None:
    assigned = _many_assigned(templates, 120)
    data = validated_view(home_view(assigned, [], TODAY))
    shown = len(_home_sections(data))
    notes = [b["elements"][0]["text"] for b in data["blocks"] if b["type"] == "context"]
    (more,) = [n for n in notes if n.endswith("more steps of yours.")]
    hidden = int(re.search(r"…and (\d+) more", more)[1])
    assert hidden == len(assigned) - shown


# ---- modals --------------------------------------------------------------------------------

LONG_STEP = Step(
    number="1234567890.1234567890",
    phase=1234567890,
    position=0,
    title="A step title of some length " * 5,
    summary="Do the thing & then <!channel> the other thing, in our own words.",
    links=(
        Link("Developer Center & console", "https://example.com/console"),
        Link("iTest", "https://example.com/itest"),
    ),
)


@pytest.fixture(params=["short", "long"])
def step(request: pytest.FixtureRequest, builtin: Template) -> Step:
    return builtin.step("1.4") if request.param == "short" else LONG_STEP


def _modals(step: Step) -> dict[str, View]:
    context = ModalContext(application_id=3, step=step.number)
    return {
        "assign": assign_modal(context, NASTY, step, "U0ALICE"),
        "assign-nobody": assign_modal(context, "Acme", step, None),
        "due": due_modal(context, NASTY, step, FUTURE, "Asia/Shanghai"),
        "due-none": due_modal(context, "Acme", step, None, "UTC"),
        "note": note_modal(context, NASTY, step),
        "guide": guide_modal(NASTY, step, "https://example.com/guide"),
    }


def test_modals_validate(step: Step) -> None:
    for name, view in _modals(step).items():
        data = validated_view(view)
        assert data["type"] == "modal", name
        assert 1 <= len(data["title"]["text"]) <= 24, name
        for text in mrkdwn_texts(data["blocks"]):
            assert_safe_mrkdwn(text)
        if name != "guide":
            assert ModalContext.decode(data["private_metadata"]) == ModalContext(3, step.number)
            assert data["submit"]["text"] and data["close"]["text"] == "Cancel"


def test_modal_titles_name_the_step(builtin: Template) -> None:
    for name, view in _modals(builtin.step("1.4")).items():
        assert "1.4" in view.to_dict()["title"]["text"], name
    for view in _modals(LONG_STEP).values():
        assert view.to_dict()["title"]["text"].endswith("…")


def test_modal_context_round_trips() -> None:
    for context in (
        ModalContext(1, "1.1"),
        ModalContext(12345678901, "12.30"),
    ):
        assert ModalContext.decode(context.encode()) == context


@pytest.mark.parametrize(
    "garbage",
    ["", "garbage", "[]", "null", '"x"', "{}", '{"application_id": "x", "step": "1.1"}',
     '{"step": "1.1"}', '{"application_id": 1}', '{"application_id": NaN, "step": "1"}'],
)  # fmt: skip
def test_modal_context_decode_of_garbage_is_none(garbage: str) -> None:
    assert ModalContext.decode(garbage) is None


def test_modal_context_decode_of_infinity_is_none() -> None:
    assert ModalContext.decode('{"application_id": Infinity, "step": "1.1"}') is None


def test_assign_modal_preselects_the_assignee(builtin: Template) -> None:
    data = _modals(builtin.step("1.4"))["assign"].to_dict()
    element = data["blocks"][1]["element"]
    assert element["type"] == "users_select"
    assert element["initial_user"] == "U0ALICE"
    assert (
        "initial_user"
        not in _modals(builtin.step("1.4"))["assign-nobody"].to_dict()["blocks"][1]["element"]
    )


def test_due_modal_starts_at_the_current_due_date(builtin: Template) -> None:
    modals = _modals(builtin.step("1.4"))
    element = modals["due"].to_dict()["blocks"][1]["element"]
    assert element["type"] == "datepicker"
    assert element["initial_date"] == FUTURE.isoformat()
    assert "Asia/Shanghai" in modals["due"].to_dict()["blocks"][1]["hint"]["text"]
    assert "initial_date" not in modals["due-none"].to_dict()["blocks"][1]["element"]


def test_note_modal_limits_the_note(builtin: Template) -> None:
    element = _modals(builtin.step("1.4"))["note"].to_dict()["blocks"][1]["element"]
    assert element["type"] == "plain_text_input"
    assert element["multiline"] is True
    assert 0 < element["max_length"] <= 3000


def test_guide_modal_lists_links_and_summary(builtin: Template) -> None:
    step = builtin.step("2.2")
    data = validated_view(guide_modal("Acme", step, builtin.guide_url))
    text = "\n".join(mrkdwn_texts(data["blocks"]))
    assert step.summary in text or step.summary.replace("&", "&amp;") in text
    assert step.links
    for link in step.links:
        assert f"<{link.url}|{link.title}>" in text
    assert f"<{builtin.guide_url}|" in text
    assert "submit" not in data

    escaped = "\n".join(mrkdwn_texts(guide_modal("Acme", LONG_STEP, "https://x.example").to_dict()))
    assert "<https://example.com/console|Developer Center &amp; console>" in escaped
    assert "Do the thing &amp; then &lt;!channel&gt;" in escaped


def test_guide_modal_without_links(builtin: Template) -> None:
    step = Step(number="1.1", phase=1, position=0, title="Bare", summary="Nothing to link.")
    text = "\n".join(mrkdwn_texts(validated_view(guide_modal("Acme", step, "https://g.example"))))
    assert "No links for this step." in text


def test_blocks_are_slack_sdk_models(builtin: Template) -> None:
    blocks = checklist_blocks(make_checklist(builtin), TODAY)
    assert {type(b) for b in blocks} <= {HeaderBlock, ContextBlock, ActionsBlock, SectionBlock}


def test_business_start_says_which_pilot_steps_were_skipped_and_why() -> None:
    message = BusinessStart(
        application_id=7, application="Acme POS", slug="acme-pos", channel="CPAY",
        marked_by="UALICE", marked_on=TODAY, step="5.1", contacts=("UCAROL",),
        went_live_on=TODAY, production_client_id="2021…2345",
        pilot=(
            PilotStep(step="4.1", title="Download wallet app", done_on=TODAY),
            PilotStep(step="4.2", title="NFC", done_on=None, skip_reason="QR only <!here>"),
            PilotStep(step="4.3", title="Refunds", done_on=None),
        ),
    )  # fmt: skip
    _, blocks = render(message)
    pilot = "\n".join(mrkdwn_texts([b.to_dict() for b in blocks]))
    assert f"• 4.1 Download wallet app: done {TODAY}" in pilot
    assert "• 4.2 NFC: skipped, does not apply (“QR only &lt;!here&gt;”)" in pilot
    assert "• 4.3 Refunds: not marked done" in pilot
