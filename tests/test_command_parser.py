import string
from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import command_parser
from bot.command_parser import (
    END_OF_DAY,
    MAX_CREDENTIAL,
    MAX_CREDS_TEXT,
    MAX_NAME,
    MAX_NOTE,
    MAX_TEXT,
    SUBCOMMAND_USAGE,
    AddNote,
    Archive,
    Assign,
    Away,
    Contacts,
    Creds,
    Diagnose,
    Digest,
    Export,
    Help,
    History,
    Language,
    ListApps,
    Mark,
    My,
    NewApp,
    ParseError,
    Remind,
    Rename,
    Report,
    SetDue,
    Skip,
    Status,
    Unarchive,
    Unassign,
    Unmark,
    Unskip,
    parse_command,
)
from bot.services.due_dates import DueSpec

SUBCOMMANDS = [usage.split()[1] for usage, _ in SUBCOMMAND_USAGE]
COMMAND_TYPES = (
    Help,
    NewApp,
    ListApps,
    Status,
    Mark,
    Unmark,
    Skip,
    Unskip,
    Assign,
    Unassign,
    SetDue,
    AddNote,
    History,
    Remind,
    Digest,
    Contacts,
    Creds,
    Diagnose,
    Export,
    Rename,
    Archive,
    Unarchive,
    Report,
    Away,
    My,
    Language,
)


def error(text: str) -> str:
    result = parse_command(text)
    assert isinstance(result, ParseError), result
    return result.message


# --- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t\xa0", "help", "HELP", " Help "])
def test_empty_or_help_is_help(text):
    assert parse_command(text) == Help()


def test_help_topic():
    assert parse_command("help mark") == Help(topic="mark")
    assert parse_command("help DUE") == Help(topic="due")
    assert parse_command("help status --app acme") == Help(topic="status", app="acme")


def test_help_unknown_topic_lists_subcommands():
    message = error("help frobnicate")
    assert "`frobnicate`" in message
    assert all(f"`{name}`" in message for name in SUBCOMMANDS)


def test_help_takes_one_topic():
    message = error("help mark due")
    assert "`due`" in message and "one subcommand" in message


def test_subcommand_usage_order_and_shape():
    assert SUBCOMMANDS == [
        "help",
        "new",
        "list",
        "status",
        "mark",
        "unmark",
        "skip",
        "unskip",
        "assign",
        "unassign",
        "due",
        "note",
        "history",
        "remind",
        "digest",
        "contacts",
        "creds",
        "diagnose",
        "export",
        "rename",
        "archive",
        "unarchive",
        "report",
        "away",
        "my",
        "language",
    ]
    for usage, about in SUBCOMMAND_USAGE:
        assert usage.startswith("/onboard ")
        assert about and "\n" not in about and "<" not in about


# --- subcommand matching ------------------------------------------------------------------------


def test_unknown_subcommand_names_it_and_lists_valid_ones():
    message = error("frobnicate 1.2")
    assert message.startswith("`frobnicate` is not a subcommand")
    assert all(f"`{name}`" in message for name in SUBCOMMANDS)


def test_unknown_subcommand_is_escaped_and_truncated():
    message = error("<!channel>" + "x" * 100)
    assert "<!" not in message
    assert "&lt;!channel&gt;" in message
    assert "x" * 30 not in message
    assert "…" in message


def test_subcommands_are_case_insensitive_and_full_width_folds():
    assert parse_command("MARK 1.1") == Mark(steps=("1.1",))
    assert parse_command("Status") == Status()
    assert parse_command("ｍａｒｋ　３．４") == Mark(steps=("3.4",))


@pytest.mark.parametrize("sep", [" ", "\n", "\t", "\xa0", "\u3000", " \r\n  "])
def test_any_whitespace_separates_tokens(sep):
    assert parse_command(f"mark{sep}1.1{sep}1.2") == Mark(steps=("1.1", "1.2"))


def test_option_before_subcommand():
    message = error("--app acme status")
    assert "subcommand" in message and "`/onboard status --app acme-pos`" in message


def test_text_too_long():
    assert error("x" * 4000) == "That command is 4,000 characters long; the most I take is 3,000."
    assert error("note 1.2 " + "y" * 3991).startswith("That command is 4,000 characters")
    assert isinstance(parse_command("mark 1.1" + " " * (MAX_TEXT - 8)), Mark)


def test_creds_text_may_be_longer_to_hold_a_credential():
    assert MAX_TEXT <= MAX_CREDENTIAL < MAX_CREDS_TEXT
    value = "k" * MAX_CREDENTIAL
    text = f"creds --app acme set production public-key {value}"
    assert len(text) > MAX_TEXT
    assert parse_command(text) == Creds("set", "production", "public_key", value, app="acme")
    assert isinstance(parse_command("ｃｒｅｄｓ " + " " * MAX_TEXT), Creds)
    message = error("creds set sandbox public-key " + "k" * MAX_CREDS_TEXT)
    assert message.startswith("That command is 4,029 characters long; the most I take is 4,000.")
    assert "kkk" not in message
    # Other subcommands keep the shorter limit, even when `creds` comes later.
    assert "the most I take is 3,000" in error("note 1.2 creds " + "y" * MAX_TEXT)
    assert "the most I take is 3,000" in error("credsx " + "y" * MAX_TEXT)


# --- --app and --force --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "mark --app acme 1.1 1.2",
        "mark 1.1 --app acme 1.2",
        "mark 1.1 1.2 --app acme",
        "mark 1.1 1.2 --app=acme",
        "MARK 1.1 --APP acme 1.2",
        "mark 1.1 1.2 —app acme",
        "mark 1.1 --app acme 1.2 --app acme",
    ],
)
def test_app_anywhere_after_subcommand(text):
    assert parse_command(text) == Mark(steps=("1.1", "1.2"), app="acme")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list --app acme-pos", ListApps(app="acme-pos")),
        ("status 2 --app a1", Status(phase=2, app="a1")),
        ("archive --app=acme", Archive(app="acme")),
        ("export --app acme json", Export(fmt="json", app="acme")),
        ("history --app acme 1.2", History(step="1.2", app="acme")),
        ("unassign 1.2 --app acme", Unassign(step="1.2", app="acme")),
        ("due --app acme 1.2 today", SetDue("1.2", DueSpec("days", days=0), app="acme")),
        ("assign 1.2 --app acme <@U1AB>", Assign("1.2", "U1AB", app="acme")),
        ("remind --app acme", Remind("show", app="acme")),
        ("remind after 2d --app acme", Remind("after", after_days=2, app="acme")),
        ("remind --app=acme off", Remind("off", app="acme")),
        (
            "remind hours 9:00 --app acme - 18:00",
            Remind("hours", start=time(9), end=time(18), app="acme"),
        ),
        ("digest —app acme", Digest("show", app="acme")),
        ("digest daily --app acme 09:30", Digest("daily", at=time(9, 30), app="acme")),
        ("digest weekly fri 5pm --app acme", Digest("weekly", time(17), 4, app="acme")),
        ("digest tz UTC --app acme", Digest("tz", tz="UTC", app="acme")),
        ("contacts --app acme", Contacts("list", app="acme")),
        ("contacts add <@U1> --app acme <@U2>", Contacts("add", ("U1", "U2"), app="acme")),
        ("contacts channel none --app acme", Contacts("channel", app="acme")),
        ("creds --app acme", Creds("modal", app="acme")),
        ("creds show --app acme", Creds("show", app="acme")),
        ("creds --app=acme show", Creds("show", app="acme")),
        ("diagnose --app acme", Diagnose(app="acme")),
        ("diagnose —app=acme", Diagnose(app="acme")),
    ],
)
def test_app_on_each_subcommand(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize("slug", ["Acme", "acme_pos", "-acme", "a" * 64, "支付宝", "&lt;!here&gt;"])
def test_bad_slug(slug):
    message = error(f"status --app {slug}")
    assert "slug" in message and "`acme-pos`" in message and "lowercase" in message


def test_slug_at_limit():
    assert parse_command("list --app " + "a" * 63) == ListApps(app="a" * 63)


@pytest.mark.parametrize("text", ["mark 1.1 --app", "mark 1.1 --app --force", "list --app="])
def test_app_without_slug(text):
    assert "slug" in error(text)


def test_app_given_twice_differently():
    message = error("mark 1.1 --app one --app two")
    assert "`one`" in message and "`two`" in message and "once" in message


def test_force_only_for_mark():
    assert parse_command("mark 3.5 --force") == Mark(steps=("3.5",), force=True)
    assert parse_command("mark --force 3.5") == Mark(steps=("3.5",), force=True)
    message = error("unmark 3.5 --force")
    assert "`--force`" in message and "`mark`" in message
    assert "`mark`" in error("note --force 1.2 hi")


def test_force_takes_no_value():
    assert "no value" in error("mark 3.5 --force=yes")


@pytest.mark.parametrize("flag", ["--xyz", "--", "--verbose=1", "—"])
def test_unknown_option(flag):
    message = error(f"status {flag}")
    assert "not an option" in message
    assert "`--app &lt;slug&gt;`" in message and "`--force`" in message


# --- new / rename -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("new Acme POS", "Acme POS"),
        ("new   Acme    POS  ", "Acme POS"),
        ('new "Acme POS"', "Acme POS"),
        ("new “Acme POS”", "Acme POS"),
        ("new ‘Acme POS’", "Acme POS"),
        ("new 'Acme POS'", "Acme POS"),
        ('new "Acme POS”', "Acme POS"),
        ('new ""Acme""', '"Acme"'),
        ("new 支付宝 门店", "支付宝 门店"),
        ("new 支付宝\u3000门店", "支付宝 门店"),
        ("new Acme\nPOS\tShanghai", "Acme POS Shanghai"),
        ("new Acme\x00\x07 POS\u202e", "Acme POS"),
        ("new café 🍜 PÔS", "café 🍜 PÔS"),
        ("new Acme --app acme", "Acme --app acme"),
        ("new <@U1|mei> &amp; co", "<@U1|mei> &amp; co"),
    ],
)
def test_new(text, name):
    assert parse_command(text) == NewApp(name=name)


def test_new_and_rename_take_app_only_before_the_name():
    assert parse_command("new --app acme Acme POS") == NewApp("Acme POS", app="acme")
    assert parse_command("rename --app acme Acme POS") == Rename("Acme POS", app="acme")
    assert parse_command("rename Acme --app acme") == Rename("Acme --app acme")


@pytest.mark.parametrize(
    "text",
    [
        "new --another Acme POS",
        "new Acme POS --another",
        "new Acme POS —another",  # macOS turns `--` into a dash
        "NEW Acme POS --ANOTHER",
    ],
)
def test_new_another_says_one_more_application_is_meant(text):
    assert parse_command(text) == NewApp("Acme POS", another=True)


def test_new_another_is_an_option_only_first_or_last():
    assert parse_command("new another") == NewApp("another")
    assert parse_command("new Acme --another POS") == NewApp("Acme --another POS")
    assert "needs a name" in error("new --another")


def test_rename():
    assert parse_command("RENAME “支付宝 门店”") == Rename(name="支付宝 门店")


@pytest.mark.parametrize(
    "text", ["new", "new   ", 'new ""', "new “”", "new \x00", "rename --app a"]
)
def test_name_missing(text):
    message = error(text)
    assert "needs a name" in message and "Usage:" in message and "&lt;name&gt;" in message


def test_name_too_long():
    assert parse_command("new " + "n" * MAX_NAME) == NewApp("n" * MAX_NAME)
    message = error("rename " + "n" * 81)
    assert "81" in message and "80" in message


# --- list / archive -----------------------------------------------------------------------------


def test_list_and_archive():
    assert parse_command("list") == ListApps()
    assert parse_command("archive") == Archive()
    assert "`everything`" in error("list everything")
    assert "Usage: `/onboard archive`" in error("archive now")


def test_unarchive():
    assert parse_command("unarchive") == Unarchive()
    assert parse_command("unarchive --app acme-pos") == Unarchive(app="acme-pos")
    assert "Usage: `/onboard unarchive`" in error("unarchive acme-pos")


# --- status -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "phase"), [("status", None), ("status 1", 1), ("status 99", 99)])
def test_status(text, phase):
    assert parse_command(text) == Status(phase=phase)


@pytest.mark.parametrize("arg", ["0", "100", "3.4", "abc", "-1", "٣"])
def test_status_bad_phase(arg):
    message = error(f"status {arg}")
    assert "is not a phase" in message and "1 to 99" in message


def test_status_one_phase_only():
    assert "one phase number" in error("status 1 2")


# --- mark / unmark ------------------------------------------------------------------------------


def test_mark():
    assert parse_command("mark 1.1") == Mark(steps=("1.1",))
    assert parse_command("mark 2") == Mark(steps=("2",))
    assert parse_command("mark 1.1 1.2 2 10.12") == Mark(steps=("1.1", "1.2", "2", "10.12"))


def test_mark_deduplicates_keeping_order():
    assert parse_command("mark 1.2 1.1 1.2 1.1 3") == Mark(steps=("1.2", "1.1", "3"))


def test_mark_accepts_commas():
    assert parse_command("mark 1.1, 1.2,1.3") == Mark(steps=("1.1", "1.2", "1.3"))


def test_unmark():
    assert parse_command("unmark 1.2 1.2 --app acme") == Unmark(steps=("1.2",), app="acme")


@pytest.mark.parametrize("text", ["mark", "unmark", "mark --force", "mark ,", "unmark --app a"])
def test_mark_needs_a_step(text):
    message = error(text)
    assert "at least one step" in message and "`" in message


@pytest.mark.parametrize("bad", ["abc", "9.9.9", "1.", ".1", "123", "1.123", "1-3", "v1.2"])
def test_bad_step(bad):
    assert error(f"mark 1.1 {bad}") == (
        f"`{bad}` is not a step. Steps look like `3.4`;"
        " a phase number like `3` means all of its steps."
    )


def test_bad_step_is_escaped():
    message = error("mark <@U123|mei>")
    assert "<@" not in message and "&lt;@U123|mei&gt;" in message
    assert "&amp;" in error("unmark a&b")
    assert "&lt;b&gt;" in error("mark &lt;b&gt;")


# --- assign / unassign --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mention", "user_id"),
    [("<@U123ABC>", "U123ABC"), ("<@U123ABC|mei>", "U123ABC"), ("<@W0ENT|Mei Li>", "W0ENT")],
)
def test_assign(mention, user_id):
    assert parse_command(f"assign 1.2 {mention}") == Assign(step="1.2", user_id=user_id)


@pytest.mark.parametrize("who", ["@mei", "mei", "U123ABC", "<@u123>", "<@B123>"])
def test_assign_needs_linked_mention(who):
    message = error(f"assign 1.2 {who}")
    assert "autocomplete" in message and "linked" in message


def test_assign_channel_or_group():
    assert "is a channel" in error("assign 1.2 <#C123|general>")
    message = error("assign 1.2 <!subteam^S1|@devs>")
    assert "group" in message and "<!" not in message


def test_assign_exactly_one_user():
    message = error("assign 1.2 <@U1> <@U2>")
    assert "one person" in message and "&lt;@U2&gt;" in message


def test_assign_missing_person_or_step():
    assert "Who should own step `1.2`" in error("assign 1.2")
    assert "needs a step" in error("assign")
    assert "Put the step first" in error("assign <@U1> 1.2")
    assert "is not a step" in error("assign abc <@U1>")


def test_unassign():
    assert parse_command("unassign 1.2") == Unassign(step="1.2")
    assert "needs a step" in error("unassign")
    assert "one step" in error("unassign 1.2 1.3")
    assert "Steps look like `3.4`." in error("unassign x")


# --- due ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "due"),
    [
        ("2026-12-01", DueSpec("date", on=date(2026, 12, 1))),
        ("2028-02-29", DueSpec("date", on=date(2028, 2, 29))),
        ("today", DueSpec("days", days=0)),
        ("Tomorrow", DueSpec("days", days=1)),
        ("+3d", DueSpec("days", days=3)),
        ("+3", DueSpec("days", days=3)),
        ("3d", DueSpec("days", days=3)),
        ("+2w", DueSpec("days", days=14)),
        ("+0d", DueSpec("days", days=0)),
        ("+365d", DueSpec("days", days=365)),
        ("+52w", DueSpec("days", days=364)),
        ("none", DueSpec("none")),
        ("CLEAR", DueSpec("none")),
        ("２０２６－１２－０１", DueSpec("date", on=date(2026, 12, 1))),
    ],
)
def test_due(when, due):
    assert parse_command(f"due 1.2 {when}") == SetDue(step="1.2", due=due)


@pytest.mark.parametrize("when", ["2026-02-30", "2026-13-01", "0000-01-01", "2027-02-29"])
def test_due_unreal_date(when):
    message = error(f"due 1.2 {when}")
    assert f"`{when}` is not a real date" in message and "`2026-12-01`" in message


@pytest.mark.parametrize("when", ["yesterday", "friday", "-1d", "3", "2026/12/01", "+3m", "1.5d"])
def test_due_unknown_form(when):
    message = error(f"due 1.2 {when}")
    assert "is not a due date" in message
    for form in ("`YYYY-MM-DD`", "`today`", "`tomorrow`", "`+3d`", "`+2w`", "`none`"):
        assert form in message


def test_due_several_words():
    assert "`next friday` is not a due date" in error("due 1.2 next friday")


@pytest.mark.parametrize("when", ["+366d", "+53w", "+999999d"])
def test_due_too_far(when):
    message = error(f"due 1.2 {when}")
    assert "365" in message


def test_due_missing_parts():
    assert "needs a step" in error("due")
    message = error("due 1.2")
    assert "When is step `1.2` due" in message and "`tomorrow`" in message


# --- note ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("note 1.2 waiting for IT", "waiting for IT"),
        ("note 1.2    waiting   for IT  ", "waiting   for IT"),
        ('note 1.2 "waiting for IT"', "waiting for IT"),
        ("note 1.2 “waiting for IT”", "waiting for IT"),
        ("note 1.2 ‘waiting’", "waiting"),
        ("note 1.2 it's Mei's", "it's Mei's"),
        ("note 1.2 line one\nline two", "line one\nline two"),
        ("note 1.2 支付宝 门店 已开通 ✅", "支付宝 门店 已开通 ✅"),
        ("note 1.2 --app acme ask <@U1|mei>", "--app acme ask <@U1|mei>"),
        ("note 1.2 see “the guide” now", "see “the guide” now"),
        ("NOTE\n1.2\nhi", "hi"),
    ],
)
def test_note(text, note):
    assert parse_command(text) == AddNote(step="1.2", text=note)


def test_note_app_before_step():
    assert parse_command("note --app acme 1.2 text") == AddNote("1.2", "text", app="acme")


@pytest.mark.parametrize("text", ["note 1.2", "note 1.2   ", 'note 1.2 ""', "note 1.2 “ ”"])
def test_note_empty(text):
    message = error(text)
    assert "empty" in message and "Usage: `/onboard note &lt;step&gt; &lt;text&gt;`" in message


def test_note_missing_or_bad_step():
    assert "needs a step" in error("note")
    assert "`hello` is not a step" in error("note hello world")


def test_note_too_long():
    assert parse_command("note 1.2 " + "n" * MAX_NOTE) == AddNote("1.2", "n" * MAX_NOTE)
    message = error("note 1.2 " + "n" * 2500)
    assert "2,500" in message and "2,000" in message


# --- history / export ---------------------------------------------------------------------------


def test_history():
    assert parse_command("history") == History()
    assert parse_command("history 1.2") == History(step="1.2")
    assert parse_command("history 3") == History(step="3")
    assert "is not a step" in error("history abc")
    assert "one step at most" in error("history 1.1 1.2")


@pytest.mark.parametrize(
    ("text", "fmt"), [("export", "csv"), ("export csv", "csv"), ("export JSON", "json")]
)
def test_export(text, fmt):
    assert parse_command(text) == Export(fmt=fmt)


def test_export_bad_format():
    message = error("export xml")
    assert "`xml`" in message and "`csv`" in message and "`json`" in message
    assert "one format" in error("export csv json")


# --- remind -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remind", Remind("show")),
        ("REMIND show", Remind("show")),
        ("remind off", Remind("off")),
        ("remind ON", Remind("on")),
        ("remind after 2d", Remind("after", after_days=2)),
        ("remind after 2", Remind("after", after_days=2)),
        ("remind after 3 days", Remind("after", after_days=3)),
        ("remind after 1 day", Remind("after", after_days=1)),
        ("remind after 3days", Remind("after", after_days=3)),
        ("remind after 2 working days", Remind("after", after_days=2)),
        ("remind after 2w", Remind("after", after_days=10)),
        ("remind after 1 week", Remind("after", after_days=5)),
        ("remind after 6w", Remind("after", after_days=30)),
        ("remind after 30d", Remind("after", after_days=30)),
        ("remind after ２Ｄ", Remind("after", after_days=2)),
    ],
)
def test_remind(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "hours",
    [
        "09:00-18:00",
        "9:00-18:00",
        "09:00 - 18:00",
        "9-18",
        "9:00–18:00",
        "9:00 – 18:00",
        "9 —18",
        "9am-6pm",
        "9 AM - 6 PM",
        "9:00~18:00",
        "０９：００－１８：００",
    ],
)
def test_remind_hours(hours):
    assert parse_command(f"remind hours {hours}") == Remind("hours", start=time(9), end=time(18))


@pytest.mark.parametrize(
    ("hours", "start", "end"),
    [
        ("0-24", time(0), END_OF_DAY),
        ("00:00-24:00", time(0), END_OF_DAY),
        ("8:30-17:45", time(8, 30), time(17, 45)),
        ("23:59-24:00", time(23, 59), END_OF_DAY),
        ("12am-12pm", time(0), time(12)),
    ],
)
def test_remind_hours_edges(hours, start, end):
    assert parse_command(f"remind hours {hours}") == Remind("hours", start=start, end=end)


@pytest.mark.parametrize("days", ["0", "0d", "31", "31 days", "7w", "999999d"])
def test_remind_after_out_of_range(days):
    message = error(f"remind after {days}")
    assert f"`{days}`" in message and "1 to 30 working days" in message


@pytest.mark.parametrize("days", ["x", "-1", "1.5d", "2h", "two", "2 months", "٣"])
def test_remind_after_not_a_number(days):
    message = error(f"remind after {days}")
    assert f"`{days}` is not a number of working days" in message
    assert "`2d`" in message and "`3 days`" in message and "`1w`" in message
    assert "1 to 30" in message


def test_remind_after_missing():
    message = error("remind after")
    assert "how many working days" in message and "`remind after 2d`" in message


@pytest.mark.parametrize("hours", ["9", "nine to six", "9:00", "18:00-"])
def test_remind_hours_not_a_range(hours):
    message = error(f"remind hours {hours}")
    assert "is not a range of working hours" in message
    assert "`09:00-18:00`" in message and "`9-18`" in message


@pytest.mark.parametrize(
    ("hours", "bad"),
    [
        ("9:60-18:00", "9:60"),
        ("9-25", "25"),
        ("9-24:30", "24:30"),
        ("9:5-18", "9:5"),
        ("9.30-18", "9.30"),
        ("13pm-14", "13pm"),
        ("x-18", "x"),
    ],
)
def test_remind_hours_bad_time(hours, bad):
    message = error(f"remind hours {hours}")
    assert f"`{bad}` is not a time of day" in message
    assert "0 to 24" in message and "00 to 59" in message and "`09:00-18:00`" in message


@pytest.mark.parametrize("hours", ["24:00-18:00", "24-24"])
def test_remind_hours_24_only_ends(hours):
    message = error(f"remind hours {hours}")
    assert "can only end" in message and "`00:00`" in message


@pytest.mark.parametrize("hours", ["18:00-09:00", "22-6", "9-9", "9:00-09:00"])
def test_remind_hours_start_before_end(hours):
    message = error(f"remind hours {hours}")
    assert f"`{hours}` don't start before they end" in message
    assert "overnight" in message and "`remind hours 09:00-18:00`" in message


def test_remind_hours_missing():
    message = error("remind hours")
    assert "needs a start and an end" in message and "`09:00-18:00`" in message


def test_remind_extra_and_unknown():
    message = error("remind off now")
    assert "`now`" in message and "Usage: `/onboard remind" in message
    message = error("remind later")
    assert "`later` is not a `remind` setting" in message
    for valid in ("`after 2d`", "`hours 09:00-18:00`", "`off`", "`on`"):
        assert valid in message
    assert "say `after` first: `/onboard remind after 2d`" in error("remind 2d")
    assert "say `hours` first" in error("remind 9-18")
    assert "`--force` only works with `mark`" in error("remind --force off")


# --- digest -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("digest", Digest("show")),
        ("digest show", Digest("show")),
        ("digest OFF", Digest("off")),
        ("digest daily 09:30", Digest("daily", at=time(9, 30))),
        ("digest daily 9:30", Digest("daily", at=time(9, 30))),
        ("digest daily 00:00", Digest("daily", at=time(0))),
        ("digest daily 23:59", Digest("daily", at=time(23, 59))),
        ("digest daily 9am", Digest("daily", at=time(9))),
        ("digest daily 5pm", Digest("daily", at=time(17))),
        ("digest daily 5:30 PM", Digest("daily", at=time(17, 30))),
        ("digest daily 12am", Digest("daily", at=time(0))),
        ("digest daily 12pm", Digest("daily", at=time(12))),
        ("digest daily 9 a.m.", Digest("daily", at=time(9))),
        ("digest daily ０９：３０", Digest("daily", at=time(9, 30))),
        ("digest weekly mon 09:00", Digest("weekly", at=time(9), weekday=0)),
        ("digest weekly monday 9:00", Digest("weekly", at=time(9), weekday=0)),
        ("digest weekly Tues 9am", Digest("weekly", at=time(9), weekday=1)),
        ("digest weekly WED 09:00", Digest("weekly", at=time(9), weekday=2)),
        ("digest weekly thurs 09:00", Digest("weekly", at=time(9), weekday=3)),
        ("digest weekly fri. 16:30", Digest("weekly", at=time(16, 30), weekday=4)),
        ("digest weekly saturday 10:00", Digest("weekly", at=time(10), weekday=5)),
        ("digest weekly sun 18:00", Digest("weekly", at=time(18), weekday=6)),
        ("digest tz Asia/Shanghai", Digest("tz", tz="Asia/Shanghai")),
        ("digest tz asia/shanghai", Digest("tz", tz="Asia/Shanghai")),
        ("digest tz AMERICA/LOS_ANGELES", Digest("tz", tz="America/Los_Angeles")),
        ("digest tz America/Los Angeles", Digest("tz", tz="America/Los_Angeles")),
        ("digest tz UTC", Digest("tz", tz="UTC")),
        ("digest tz utc", Digest("tz", tz="UTC")),
        ("digest tz Etc/GMT-8", Digest("tz", tz="Etc/GMT-8")),
    ],
)
def test_digest(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "at", ["9", "24:00", "25:00", "9:60", "9:5", "13pm", "0am", "noon", "9.30", "09:30:00"]
)
def test_digest_bad_time(at):
    for text in (f"digest daily {at}", f"digest weekly mon {at}"):
        message = error(text)
        assert f"`{at}` is not a time of day" in message
        assert "`HH:MM`" in message and "`09:30`" in message and "`9am`" in message


def test_digest_missing_time():
    message = error("digest daily")
    assert "At what time?" in message and "`digest daily 09:30`" in message
    assert "`digest weekly fri 09:00`" in error("digest weekly friday")


@pytest.mark.parametrize("day", ["funday", "mo", "1", "周一", "weekday"])
def test_digest_bad_weekday(day):
    message = error(f"digest weekly {day} 09:00")
    assert f"`{day}` is not a day of the week" in message
    for valid in ("`mon`", "`tue`", "`wed`", "`thu`", "`fri`", "`sat`", "`sun`"):
        assert valid in message


def test_digest_weekly_needs_day_first():
    assert "Put the day first" in error("digest weekly 09:00 mon")
    message = error("digest weekly")
    assert "a day and a time" in message and "`mon`" in message


@pytest.mark.parametrize(
    "zone", ["Mars/Base", "Asia", "Asia//Shanghai", "../etc/passwd", "/etc/passwd", "localtime"]
)
def test_digest_bad_zone(zone):
    message = error(f"digest tz {zone}")
    assert f"`{zone}` is not a time zone" in message
    assert "IANA" in message and "`Asia/Shanghai`" in message and "`America/Los_Angeles`" in message


def test_digest_bad_zone_is_escaped():
    message = error("digest tz <@U1|mei>")
    assert "&lt;@U1|mei&gt;" in message and "<" not in message


def test_digest_zone_missing():
    assert "needs a time zone" in error("digest tz")


def test_digest_extra_and_unknown():
    assert "`now`" in error("digest off now")
    assert "`10:00`" in error("digest daily 09:00 10:00")
    assert "`x`" in error("digest weekly mon 09:00 x")
    message = error("digest hourly")
    assert "`hourly` is not a `digest` setting" in message
    for valid in ("`daily 09:30`", "`weekly mon 09:00`", "`off`", "`tz Asia/Shanghai`"):
        assert valid in message
    assert "Say how often first" in error("digest 09:30")


# --- contacts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contacts", Contacts("list")),
        ("contacts list", Contacts("list")),
        ("contacts add <@U1>", Contacts("add", ("U1",))),
        ("contacts add <@U1> <@U2>", Contacts("add", ("U1", "U2"))),
        ("contacts add <@U2|mei> <@U1> <@U2>", Contacts("add", ("U2", "U1"))),
        ("contacts add <@U1|Li, Mei>, <@W2>", Contacts("add", ("U1", "W2"))),
        ("contacts add <@U1>,<@U2>", Contacts("add", ("U1", "U2"))),
        ("CONTACTS Remove <@U1>", Contacts("remove", ("U1",))),
        ("contacts remove <@U1> <@U1>", Contacts("remove", ("U1",))),
        ("contacts channel <#C123|alipay-team>", Contacts("channel", channel_id="C123")),
        ("contacts channel <#C123>", Contacts("channel", channel_id="C123")),
        ("contacts channel <#G0PRIV|private>", Contacts("channel", channel_id="G0PRIV")),
        ("contacts channel none", Contacts("channel")),
        ("contacts channel NONE", Contacts("channel", channel_id=None)),
    ],
)
def test_contacts(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize("action", ["add", "remove"])
@pytest.mark.parametrize("who", ["@mei", "mei", "U123ABC", "<@u123>", "<@B123>", "&lt;@U1&gt;"])
def test_contacts_need_linked_mentions(action, who):
    message = error(f"contacts {action} <@U1> {who}")
    assert "autocomplete" in message and "linked" in message
    assert f"`/onboard contacts {action} @Mei`" in message


def test_contacts_refuse_groups_and_channels():
    message = error("contacts add <!subteam^S1|@devs>")
    assert "user group" in message and "one by one" in message and "<!" not in message
    assert "special mention" in error("contacts add <!here>")
    message = error("contacts add <#C1|general>")
    assert "is a channel" in message and "`/onboard contacts channel #alipay-team`" in message


@pytest.mark.parametrize("text", ["contacts add", "contacts remove --app acme", "contacts add ,"])
def test_contacts_need_someone(text):
    message = error(text)
    assert "needs at least one person" in message and "@Mei" in message


@pytest.mark.parametrize(
    ("where", "problem"),
    [
        ("#alipay", "is not a linked Slack channel"),
        ("alipay", "is not a linked Slack channel"),
        ("<#c123>", "is not a linked Slack channel"),
        ("<@U1|mei>", "is a person"),
        ("<!subteam^S1>", "is a group"),
    ],
)
def test_contacts_channel_needs_linked_channel(where, problem):
    message = error(f"contacts channel {where}")
    assert problem in message and "autocomplete" in message
    assert "`/onboard contacts channel #alipay-team`" in message
    assert "`/onboard contacts channel none` to clear it" in message
    assert "<" not in message


def test_contacts_channel_missing_or_several():
    message = error("contacts channel")
    assert "Which channel" in message and "channel none` to clear it" in message
    assert "`&lt;#C2&gt;` is more than that" in error("contacts channel <#C1> <#C2>")


def test_contacts_extra_and_unknown():
    assert "`all`" in error("contacts list all")
    message = error("contacts invite")
    assert "`invite` is not a `contacts` action" in message
    for valid in ("`add @person…`", "`remove @person…`", "`channel #channel`", "`channel none`"):
        assert valid in message
    assert "`/onboard contacts add @Mei`" in error("contacts <@U1>")
    assert "Say `channel` first" in error("contacts <#C1>")


def test_help_on_new_subcommands():
    assert parse_command("help contacts") == Help(topic="contacts")


# --- creds -------------------------------------------------------------------------------------

PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n"
    "+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh\n"
    "-----END PUBLIC KEY-----"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("creds", Creds("modal")),
        ("CREDS", Creds("modal")),
        ("creds show", Creds("show")),
        ("creds SHOW", Creds("show")),
        (
            "creds set sandbox client-id 2021004100000001",
            Creds("set", "sandbox", "client_id", "2021004100000001"),
        ),
        (
            "creds set Production CLIENT_ID SANDBOX_5YBUYX2ZJHQY",
            Creds("set", "production", "client_id", "SANDBOX_5YBUYX2ZJHQY"),
        ),
        ("creds SET prod Public_Key abc", Creds("set", "production", "public_key", "abc")),
        (
            "creds set PROD alipay-public-key abc",
            Creds("set", "production", "alipay_public_key", "abc"),
        ),
        (
            "creds set sandbox alipay_public_key abc",
            Creds("set", "sandbox", "alipay_public_key", "abc"),
        ),
        (
            "creds set sandbox notify-url https://pay.example.com/alipay/notify/acme",
            Creds("set", "sandbox", "notify_url", "https://pay.example.com/alipay/notify/acme"),
        ),
        ("creds set sandbox notify_url x", Creds("set", "sandbox", "notify_url", "x")),
        (
            "ｃｒｅｄｓ　ｓｅｔ　ｐｒｏｄ　ｃｌｉｅｎｔ－ｉｄ　１２",
            Creds("set", "production", "client_id", "１２"),
        ),
        (
            "creds set sandbox client-id   a  b\tc  ",
            Creds("set", "sandbox", "client_id", "a  b\tc"),
        ),
        ("creds\nset\nsandbox\nclient-id\nabc\n", Creds("set", "sandbox", "client_id", "abc")),
        ('creds set sandbox client-id "abc"', Creds("set", "sandbox", "client_id", "abc")),
        ("creds set sandbox client-id “abc”", Creds("set", "sandbox", "client_id", "abc")),
        ("creds set sandbox client-id ‘abc’", Creds("set", "sandbox", "client_id", "abc")),
        ("creds set sandbox client-id 'abc'", Creds("set", "sandbox", "client_id", "abc")),
        ("creds set sandbox client-id `abc`", Creds("set", "sandbox", "client_id", "abc")),
        ("creds set sandbox client-id ```abc```", Creds("set", "sandbox", "client_id", "abc")),
        ("creds set sandbox client-id ``abc``", Creds("set", "sandbox", "client_id", "`abc`")),
        ('creds set sandbox client-id ""abc""', Creds("set", "sandbox", "client_id", '"abc"')),
        ("creds set sandbox client-id `“abc”`", Creds("set", "sandbox", "client_id", "“abc”")),
        ("creds set sandbox client-id a`b'c\"d", Creds("set", "sandbox", "client_id", "a`b'c\"d")),
        (
            "creds set sandbox client-id &lt;x&gt;",
            Creds("set", "sandbox", "client_id", "&lt;x&gt;"),
        ),
    ],
)
def test_creds(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "wrapped",
    [
        PEM,
        f"  {PEM}\n\n",
        f"```{PEM}```",
        f"```\n{PEM}\n```",
        f"  ```\n{PEM}\n```  ",
        f"`{PEM}`",
        f'"{PEM}"',
        f"“{PEM}”",
        f"‘{PEM}’",
        f"“\n{PEM}\n“",
    ],
)
def test_creds_multi_line_pem_is_kept_exactly(wrapped):
    for field in ("public-key", "alipay-public-key"):
        result = parse_command(f"creds set sandbox {field} {wrapped}")
        assert result == Creds("set", "sandbox", field.replace("-", "_"), PEM)


def test_creds_value_keeps_inner_lines_and_spaces():
    value = "line one\n  line two\r\n\tline  three"
    assert parse_command(f"creds set prod public-key {value}").value == value
    assert parse_command(f"creds set prod public-key\n```\n{value}\n```").value == value


@pytest.mark.parametrize(
    ("text", "app", "value"),
    [
        ("creds --app acme set sandbox client-id x", "acme", "x"),
        ("creds set --app acme sandbox client-id x", "acme", "x"),
        ("creds set sandbox --app=acme client-id x", "acme", "x"),
        ("creds set sandbox —app acme client-id x", "acme", "x"),
        ("creds set sandbox client-id x --app acme", None, "x --app acme"),
        ("creds set sandbox client-id --app acme x", None, "--app acme x"),
        ("creds set sandbox client-id --force", None, "--force"),
        ("creds set sandbox client-id —x", None, "—x"),
        ("creds --app a set sandbox client-id x --app b", "a", "x --app b"),
    ],
)
def test_creds_app_only_before_the_value(text, app, value):
    assert parse_command(text) == Creds("set", "sandbox", "client_id", value, app=app)


def test_creds_value_may_start_like_an_option():
    assert parse_command(f"creds set prod public-key {PEM}").value == PEM
    assert parse_command(f"creds --app acme set prod public-key\n{PEM}").app == "acme"


def test_creds_force_is_not_an_option_here():
    message = error("creds set --force sandbox client-id x")
    assert "`--force` only works with `mark`, not with `creds`" in message
    assert Creds("modal").force is False


def test_creds_unknown_action():
    message = error("creds frobnicate")
    assert message.startswith("`frobnicate` is not a `creds` action.")
    assert "`/onboard creds` alone" in message and "form" in message
    assert "`creds show`" in message
    assert "`creds set &lt;environment&gt; &lt;field&gt; &lt;value&gt;`" in message
    assert "Say `set` first" in error("creds sandbox client-id x")
    assert "Say `set` and the environment first" in error("creds public-key x")


@pytest.mark.parametrize("extra", ["sandbox", "all", "<@U1|mei>"])
def test_creds_show_takes_nothing_more(extra):
    message = error(f"creds show {extra}")
    assert "`creds show` shows sandbox and production both" in message
    assert "is more than that" in message
    assert "<" not in message


def test_creds_set_needs_everything():
    message = error("creds set")
    assert "needs an environment, a field and a value" in message
    assert (
        "Usage: `/onboard creds set &lt;sandbox|production&gt;"
        " &lt;client-id|public-key|alipay-public-key|notify-url&gt; &lt;value&gt;`."
    ) in message
    assert "`creds set` needs an environment" in error("creds set --app acme")


@pytest.mark.parametrize("env", ["staging", "test", "live", "sandbx", "PRODUCTIO", "<!here>", "١"])
def test_creds_unknown_environment(env):
    message = error(f"creds set {env} client-id x")
    assert "is not an environment" in message
    assert "`sandbox`" in message and "`production`" in message and "`prod`" in message
    assert "<" not in message


def test_creds_unknown_environment_is_named_when_it_is_a_word():
    assert error("creds set staging client-id x").startswith("`staging` is not an environment")
    message = error("creds set 2021004100000001 client-id x")
    assert message.startswith("The word after `set` is not an environment")
    assert "2021" not in message


def test_creds_field_before_environment():
    message = error("creds set public_key sandbox x")
    assert "Say which environment first" in message
    assert "`/onboard creds set sandbox public-key &lt;value&gt;`" in message


def test_creds_missing_field():
    message = error("creds set prod")
    assert "Which credential of production?" in message
    for field in ("`client-id`", "`public-key`", "`alipay-public-key`", "`notify-url`"):
        assert field in message


@pytest.mark.parametrize("field", ["clientid", "key", "private-key", "app-id", "url", "<#C1>"])
def test_creds_unknown_field(field):
    message = error(f"creds set sandbox {field} x")
    assert "is not a credential field" in message
    for valid in ("`client-id`", "`public-key`", "`alipay-public-key`", "`notify-url`"):
        assert valid in message
    assert "<" not in message


def test_creds_unknown_field_hints():
    assert error("creds set sandbox clientid x").startswith("`clientid` is not a credential field")
    assert "Give one environment." in error("creds set sandbox production x")
    message = error("creds set sandbox MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8")
    assert message.startswith("The word after the environment is not a credential field")
    assert "Give the field before the value." in message and "MIIB" not in message
    message = error(f"creds set sandbox {PEM}")
    assert "Give the field before the value." in message and "-----" not in message


@pytest.mark.parametrize(
    "value", ["", "   ", "\n\t", '""', "“ ”", "''", "``", "``````", "```\n\n```", "` `"]
)
def test_creds_missing_value(value):
    message = error(f"creds set prod notify_url {value}")
    assert "`creds set production notify-url` needs the value after the field" in message
    assert "Usage: `/onboard creds set" in message


def test_creds_value_too_long():
    value = "".join(str(i % 10) for i in range(MAX_CREDENTIAL + 1))
    message = error(f"creds set sandbox public-key {value}")
    assert message.startswith("That value is 3,001 characters long;")
    assert "at most 3,000" in message
    assert "0123" not in message and value[:8] not in message
    # The limit counts the value, without its quotes or fences.
    exact = "x" * MAX_CREDENTIAL
    assert parse_command(f"creds set sandbox public-key ```\n{exact}\n```").value == exact


def test_creds_does_not_check_the_value():
    for value in ("not a key", "http://plain.example", "💳", "-", "\x00"):
        assert parse_command(f"creds set sandbox public-key {value}").value == value


def test_diagnose():
    assert parse_command("diagnose") == Diagnose()
    assert parse_command("DIAGNOSE --app acme") == Diagnose(app="acme")
    message = error("diagnose now")
    assert "`now` is more than that" in message and "Usage: `/onboard diagnose`." in message
    assert "`--force` only works with `mark`" in error("diagnose --force")


def test_help_on_creds_and_diagnose():
    assert parse_command("help creds") == Help(topic="creds")
    assert parse_command("help Diagnose") == Help(topic="diagnose")


def test_results_are_frozen():
    result = parse_command("mark 1.1")
    with pytest.raises(AttributeError):
        result.force = True  # type: ignore[misc]


# --- properties ---------------------------------------------------------------------------------

step_refs = st.builds(
    lambda phase, step: f"{phase}" if step is None else f"{phase}.{step}",
    st.integers(0, 99),
    st.none() | st.integers(0, 99),
)
separators = st.sampled_from([" ", "  ", "\n", "\t", "\xa0", "\u3000", " \r\n"])
grammar_tokens = st.one_of(
    st.sampled_from([*SUBCOMMANDS, "MARK", "Due", "remind", "ｍａｒｋ"]),
    step_refs,
    st.sampled_from(["abc", "9.9.9", "1.", ",", "1.1,1.2", "0", "100", "٣", "３．４"]),
    st.sampled_from(["<@U123ABC>", "<@W1|mei li>", "@mei", "<#C1|general>", "<!channel>"]),
    st.sampled_from(["<!subteam^S1|@devs>", "<", ">", "<@", "&lt;", "&amp;", "`", "*"]),
    st.sampled_from(["--app", "--app=acme", "--APP", "--force", "--force=1", "--x", "—app"]),
    st.sampled_from(["acme", "Acme", "a-b", "-a", "csv", "JSON", "xml"]),
    st.sampled_from(["today", "tomorrow", "+3d", "+2w", "+400d", "none", "2026-02-30"]),
    st.sampled_from(["2026-12-01", "yesterday", '"', "“", "”", "‘", "’", "'"]),
    st.sampled_from(["支付宝", "门店", "🍜", "\x00", "\u202e", "\u200b", "é"]),
    st.sampled_from(["remind", "after", "hours", "on", "off", "show", "2d", "3", "days", "2w"]),
    st.sampled_from(["0", "31", "7w", "09:00-18:00", "9-18", "18-9", "24:00", "-", "–", "—18"]),
    st.sampled_from(["09:30", "9:30", "9am", "5:30pm", "PM", "25:00", "9:60", "12am", "~"]),
    st.sampled_from(["digest", "daily", "weekly", "tz", "mon", "Monday", "tues", "sun", "funday"]),
    st.sampled_from(["Asia/Shanghai", "asia/shanghai", "UTC", "America/Los", "Angeles", "Mars/X"]),
    st.sampled_from(["../etc/passwd", "/etc/passwd", "Asia//Shanghai", "localtime", "Asia"]),
    st.sampled_from(
        ["contacts", "add", "remove", "channel", "list", "none", "<#C123|alipay-team>"]
    ),
    st.sampled_from(["<#G1>", "#alipay", "<#c1>", "<@U1>,<@U2>", "<@U1|Li, Mei>", "<!here>"]),
    st.sampled_from(["creds", "CREDS", "diagnose", "set", "show", "sandbox", "production", "prod"]),
    st.sampled_from(["client-id", "CLIENT_ID", "public-key", "alipay-public-key", "notify_url"]),
    st.sampled_from(["-----BEGIN", "PUBLIC", "KEY-----", "```", "``", "```x```", "MIIBIjANBg=="]),
    st.sampled_from(["https://a.example/n", "<https://a.example/n>", "2021004100000001", "—x"]),
    st.sampled_from(["report", "报告", "--since", "--since=12w", "--channel", "--all", "--page"]),
    st.sampled_from(["90d", "12w", "0d", "731d", "90天", "2026-09-01", "--page=2", "--all=1"]),
    st.text(max_size=6),
)
grammar_texts = st.builds(
    lambda first, rest: first + "".join(sep + tok for sep, tok in rest),
    grammar_tokens,
    st.lists(st.tuples(separators, grammar_tokens), max_size=8),
)
any_text = st.one_of(
    st.text(),
    grammar_texts,
    st.text(min_size=MAX_TEXT - 5, max_size=MAX_TEXT + 5, alphabet="ab <@&\n"),
    st.builds(
        str.__add__,
        st.sampled_from(["creds ", "creds set sandbox public-key ", "creds set prod x ", "note "]),
        st.one_of(
            st.text(min_size=MAX_TEXT - 20, max_size=MAX_TEXT + 5, alphabet="ab `-\n"),
            st.text(min_size=MAX_CREDENTIAL - 5, max_size=MAX_CREDENTIAL + 5, alphabet="ab `\n"),
            st.text(min_size=MAX_CREDS_TEXT - 40, max_size=MAX_CREDS_TEXT, alphabet="ab `\n"),
        ),
    ),
)


def check_result(result):
    assert isinstance(result, (*COMMAND_TYPES, ParseError))
    if isinstance(result, ParseError):
        message = result.message
        assert message.strip()
        assert len(message) <= MAX_TEXT
        assert message != command_parser._INTERNAL_ERROR, "an unexpected exception was swallowed"
        assert "<!" not in message and "<@" not in message and "<#" not in message
        assert "<" not in message and ">" not in message


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_never_raises_and_errors_are_safe(text):
    check_result(parse_command(text))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(SUBCOMMANDS),
    st.lists(st.tuples(separators, grammar_tokens), max_size=6),
)
def test_never_raises_after_each_subcommand(subcommand, rest):
    check_result(parse_command(subcommand + "".join(sep + tok for sep, tok in rest)))


NEW_SETTINGS = {
    "remind": ["after", "hours", "off", "on", "show"],
    "digest": ["daily", "weekly", "off", "tz", "show"],
    "contacts": ["add", "remove", "channel", "list"],
    "creds": ["show", "set", "set sandbox", "set prod", "set sandbox client-id", "--app a set"],
}


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [f"{name} {action}" for name, actions in NEW_SETTINGS.items() for action in actions]
    ),
    st.lists(st.tuples(separators, grammar_tokens), max_size=4),
)
def test_never_raises_after_each_new_setting(command, rest):
    check_result(parse_command(command + "".join(sep + tok for sep, tok in rest)))


times = st.builds(time, st.integers(0, 23), st.integers(0, 59))


def spell_time(at: time, style: int) -> str:
    if style == 0:
        return f"{at:%H:%M}"
    if style == 1:
        return f"{at.hour}:{at.minute:02}"
    half = "am" if at.hour < 12 else "PM"
    return f"{(at.hour - 1) % 12 + 1}:{at.minute:02}{' ' * (style - 2)}{half}"


@settings(max_examples=200, deadline=None)
@given(times, times, st.integers(0, 3), st.integers(0, 3), st.sampled_from(["-", " - ", "–"]))
def test_remind_hours_round_trip(a, b, style_a, style_b, dash):
    text = f"remind hours {spell_time(a, style_a)}{dash}{spell_time(b, style_b)}"
    result = parse_command(text)
    if a < b:
        assert result == Remind("hours", start=a, end=b)
    else:
        assert "don't start before they end" in error(text)


@settings(max_examples=200, deadline=None)
@given(times, st.integers(0, 3), st.sampled_from(["", "mon", "Tuesday", "sun"]))
def test_digest_time_round_trip(at, style, day):
    if day:
        weekday = ["mon", "tuesday", "wed", "thu", "fri", "sat", "sun"].index(day.lower())
        expected = Digest("weekly", at=at, weekday=weekday)
        assert parse_command(f"digest weekly {day} {spell_time(at, style)}") == expected
    else:
        assert parse_command(f"digest daily {spell_time(at, style)}") == Digest("daily", at=at)


user_ids = st.builds(
    str.__add__, st.sampled_from("UW"), st.text(alphabet="ABCXYZ0189", min_size=1, max_size=10)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(user_ids, min_size=1, max_size=8))
def test_contacts_round_trip(user_ids):
    mentions = " ".join(f"<@{user_id}|name {i}>" for i, user_id in enumerate(user_ids))
    expected = Contacts("add", user_ids=tuple(dict.fromkeys(user_ids)))
    assert parse_command(f"contacts add {mentions}") == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(step_refs, min_size=1, max_size=12), separators)
def test_mark_round_trip(steps, sep):
    expected = tuple(dict.fromkeys(steps))
    assert parse_command("mark" + sep + sep.join(steps)) == Mark(steps=expected)
    assert parse_command("unmark " + ",".join(steps) + " --app x") == Unmark(expected, app="x")


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_note_text_round_trip(body):
    body = body.strip()
    quotes = "\"'“”‘’„"
    if not body or body[0] in quotes or body[-1] in quotes:
        return
    assert parse_command(f"note 1.2 {body}") == AddNote(step="1.2", text=body)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_names_are_clean(raw):
    result = parse_command("new " + raw)
    check_result(result)
    if isinstance(result, NewApp):
        assert 1 <= len(result.name) <= MAX_NAME
        assert result.name == result.name.strip()
        assert "  " not in result.name
        assert not any(ch.isspace() and ch != " " for ch in result.name)
        assert not any(ch < " " or ch == "\x7f" for ch in result.name)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_creds_value_round_trip(body):
    body = body.strip()
    quotes = "\"'“”‘’„`"
    if not body or body[0] in quotes or body[-1] in quotes:
        return
    expected = Creds("set", "sandbox", "alipay_public_key", body)
    assert parse_command(f"creds set sandbox alipay-public-key {body}") == expected
    assert parse_command(f"creds set sandbox alipay-public-key ```\n{body}\n```") == expected


# Credential-like values: 12 or more letters and digits, longer than any word an error message
# repeats and than any run of letters in the messages' own wording. None of them is a keyword of
# `creds`, so wherever one lands in the command, the error must be the same as for a meaningless
# value of the same length: nothing of the value gets through, not even part of it.
secret_values = st.text(alphabet=string.ascii_letters + string.digits, min_size=12, max_size=80)
# {} is where the value goes; a placement with `{}` twice uses the value twice.
SECRET_PLACES = [
    *(
        f"creds set {env} {field} {{}}"
        for env in ("sandbox", "prod", "Production", "staging", "PRODUCTIO")
        for field in ("client-id", "public_key", "alipay-public-key", "notify-url", "clientid")
    ),
    "creds set sandbox {}",
    "creds set sandbox production {}",
    "creds set {}",
    "creds set {} client-id {}",
    "creds set sandbox {} {}",
    "creds set client-id {}",
    "creds {}",
    "creds sandbox client-id {}",
    "creds show {}",
    "creds --app acme show {}",
    "creds set --app acme staging notify-url {}",
    "creds set sandbox client-id {}" + " " * MAX_CREDS_TEXT,
]
SECRET_WRAPPINGS = [
    "{}",
    '"{}"',
    "“{}”",
    "`{}`",
    "```\n{}\n```",
    "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
    "{} --app acme",
    "{} and more\nlines",
]


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(SECRET_PLACES),
    st.sampled_from(SECRET_WRAPPINGS),
    secret_values,
    st.booleans(),
)
def test_creds_errors_never_repeat_the_value(place, wrapping, value, too_long):
    if too_long:
        value = value * (MAX_CREDENTIAL // len(value) + 1)
    result = parse_command(place.replace("{}", wrapping.format(value)))
    check_result(result)
    if isinstance(result, ParseError):
        assert value[:12] not in result.message
        neutral = "0" * len(value)
        assert parse_command(place.replace("{}", wrapping.format(neutral))) == result
    else:
        assert isinstance(result, Creds) and result.action == "set"
        assert value in result.value and len(result.value) <= MAX_CREDENTIAL


# --- skip and unskip ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('skip 4.2 "we only integrate QR, not NFC"', Skip("4.2", "we only integrate QR, not NFC")),
        ("skip 4.2 we only integrate QR, not NFC", Skip("4.2", "we only integrate QR, not NFC")),
        ("skip 4.2 “no NFC”", Skip("4.2", "no NFC")),
        ("skip --app acme 4.2 no NFC", Skip("4.2", "no NFC", app="acme")),
        ("skip 4.2 --app acme no NFC", Skip("4.2", "no NFC", app="acme")),
        ('skip 4.2 "no NFC" --app acme', Skip("4.2", "no NFC", app="acme")),
        ("skip 4.2 no NFC --app acme", Skip("4.2", "no NFC", app="acme")),
        ("skip 4.2 no NFC --app=acme", Skip("4.2", "no NFC", app="acme")),
        ('skip 4.2 "it\'s QR <only> & 支付宝"', Skip("4.2", "it's QR <only> & 支付宝")),
        ("unskip 4.2", Unskip("4.2")),
        ("unskip 4.2 --app acme", Unskip("4.2", app="acme")),
        ("UNSKIP ４.２", Unskip("4.2")),
    ],
)
def test_skip_and_unskip(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("skip 4.2", ""),
        ('skip 4.2 ""', ""),
        ("skip 4.2 --app acme", ""),
        ("skip 4.2 " + "x" * (MAX_NOTE + 1), "x" * (MAX_NOTE + 1)),
    ],
)
def test_skip_only_takes_the_reason_apart(text, reason):
    """What a reason must be (not empty, not too long) is the skip use case's one rule, for
    every surface (tests/usecases/test_skip.py, tests/listeners/test_skip_command.py)."""
    parsed = parse_command(text)
    assert isinstance(parsed, Skip) and parsed.reason == reason


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("skip", "`skip` needs a step"),
        ('skip 4.2 "QR only" and more', "Put the whole reason inside the quotes"),
        ("skip abc no NFC", "`abc` is not a step"),
        ("skip 4.2 --force no NFC", "`--force` only works with `mark`"),
        ("unskip", "`unskip` needs a step"),
        ("unskip 4.2 4.3", "takes one step"),
    ],
)
def test_skip_and_unskip_errors(text, says):
    assert says in error(text)
