"""The subcommands about an application's settings: `remind`, `digest` and `contacts`."""

from __future__ import annotations

import re
import unicodedata

from bot.command_parser import values
from bot.command_parser.commands import Command, Contacts, Digest, Remind
from bot.command_parser.messages import Said
from bot.command_parser.tokens import (
    Args,
    Invalid,
    Token,
    no_more,
    normalize,
    normalized,
    options_anywhere,
    quote,
)
from bot.i18n import N_

_DASH_THEN_TIME = re.compile(r"[–—]+(?:[0-9].*)?")


def _remind_keeps(token: Token) -> bool:
    """`9:00 – 18:00`: an en or em dash before a time is a range, not an option."""
    return _DASH_THEN_TIME.fullmatch(unicodedata.normalize("NFKC", token.text)) is not None


def parse_remind(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name, _remind_keeps)
    if not positional:
        return Remind("show", app=options.app)
    first, rest = positional[0], positional[1:]
    action = normalize(first.text)
    if action in ("show", "off", "on"):
        no_more(args, rest, N_("nothing after `{word}`"), word=action)
        return Remind(action, app=options.app)
    if action == "after":
        return Remind("after", after_days=values.working_days(rest), app=options.app)
    if action == "hours":
        start, end = values.working_hours(rest)
        return Remind("hours", start=start, end=end, app=options.app)
    if action in ("holidays", "holiday"):
        if not rest:
            raise Invalid(
                N_(
                    "Whose public holidays? Give a country code, e.g. `/onboard remind holidays"
                    " CN` ({examples}), or `remind holidays off` to count none."
                ),
                examples=values.HOLIDAY_EXAMPLES,
            )
        no_more(args, rest[1:], N_("one country code after `holidays`"))
        region = values.holiday_region(rest[0])
        return Remind("holidays", holidays=region, app=options.app)
    typed = normalized(positional)
    if values.WORKING_DAYS.fullmatch(typed):
        hint = Said(N_(" For working days, say `after` first: `/onboard remind after 2d`."))
    elif (m := values.HOURS.fullmatch(typed)) and values.clock(m[1], bare_hour=True) is not None:
        hint = Said(
            N_(" For working hours, say `hours` first: `/onboard remind hours 09:00-18:00`.")
        )
    else:
        hint = ""
    raise Invalid(
        N_(
            "{word} is not a `remind` setting. Use `after 2d` (working days without"
            " progress before a reminder), `hours 09:00-18:00` (when reminders may arrive),"
            " `holidays CN` (whose public holidays are not working days),"
            " `off` or `on`, or nothing to see the settings.{hint}"
        ),
        word=quote(first.text),
        hint=hint,
    )


def parse_digest(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    if not positional:
        return Digest("show", app=options.app)
    first, rest = positional[0], positional[1:]
    action = normalize(first.text)
    if action in ("show", "off"):
        no_more(args, rest, N_("nothing after `{word}`"), word=action)
        return Digest(action, app=options.app)
    if action == "daily":
        at, extra = values.time_of_day(rest, "digest daily 09:30")
        no_more(args, extra, N_("one time after `daily`"))
        return Digest("daily", at=at, app=options.app)
    if action == "weekly":
        if not rest:
            raise Invalid(
                N_(
                    "On which day, and at what time? Give a day and a time,"
                    " e.g. `digest weekly mon 09:00`. The days are {days}."
                ),
                days=values.WEEKDAY_FORMS,
            )
        weekday = values.weekday(rest[0])
        example = f"digest weekly {values.DAY_NAMES[weekday]} 09:00"
        at, extra = values.time_of_day(rest[1:], example)
        no_more(args, extra, N_("one day and one time after `weekly`"))
        return Digest("weekly", at=at, weekday=weekday, app=options.app)
    if action == "tz":
        return Digest("tz", tz=values.time_zone(rest), app=options.app)
    if values.clock(normalized(positional)) is not None:
        hint = Said(
            N_(" Say how often first, e.g. `digest daily 09:30` or `digest weekly mon 09:30`.")
        )
    else:
        hint = ""
    raise Invalid(
        N_(
            "{word} is not a `digest` setting. Use `daily 09:30`,"
            " `weekly mon 09:00`, `off`, or `tz Asia/Shanghai` for the time zone,"
            " or nothing to see the schedule.{hint}"
        ),
        word=quote(first.text),
        hint=hint,
    )


def _contact(who: str, action: str) -> str:
    if m := values.USER.fullmatch(who):
        return m[1]
    if who.startswith("<#"):
        problem = Said(
            N_(
                "is a channel; contacts are people. To send the announcements to a channel,"
                " use `/onboard contacts channel #alipay-team`."
            )
        )
    elif who.startswith("<!subteam^"):
        problem = Said(
            N_("is a user group; contacts are people, so add the group's members one by one.")
        )
    elif who.startswith("<!"):
        problem = Said(N_("is a special mention; contacts are people."))
    else:
        problem = Said(N_("is not a linked Slack mention."))
    raise values.not_a_person(who, problem, f"contacts {action} @Mei")


def _contacts_channel(token: Token) -> str | None:
    if normalize(token.text) in ("none", "clear"):
        return None
    if m := values.CHANNEL.fullmatch(token.text):
        return m[1]
    if token.text.startswith("<@"):
        problem = Said(N_("is a person; the contacts channel is a channel."))
    elif token.text.startswith("<!"):
        problem = Said(N_("is a group or a special mention; the contacts channel is a channel."))
    else:
        problem = Said(N_("is not a linked Slack channel."))
    raise Invalid(
        N_(
            "{word} {problem} Type `#` and pick the channel from Slack's autocomplete"
            " so it is linked: `/onboard contacts channel #alipay-team`,"
            " or `/onboard contacts channel none` to clear it."
        ),
        word=quote(token.text),
        problem=problem,
    )


def parse_contacts(args: Args) -> Command:
    positional, options = options_anywhere(args.tokens, args.name)
    if not positional:
        return Contacts("list", app=options.app)
    first, rest = positional[0], positional[1:]
    action = normalize(first.text)
    if action == "list":
        no_more(args, rest, N_("nothing after `list`"))
        return Contacts("list", app=options.app)
    if action in ("add", "remove"):
        user_ids: dict[str, None] = {}
        for token in rest:
            for who in values.MENTION_LIST_ITEM.findall(token.text):
                user_ids.setdefault(_contact(who, action))
        if not user_ids:
            raise Invalid(
                N_(
                    "`contacts {action}` needs at least one person, picked from Slack's"
                    " autocomplete: `/onboard contacts {action} @Mei`."
                ),
                action=action,
            )
        return Contacts(action, user_ids=tuple(user_ids), app=options.app)
    if action == "channel":
        if not rest:
            raise Invalid(
                N_(
                    "Which channel should Alipay's announcements go to? Type `#` and pick it from"
                    " Slack's autocomplete: `/onboard contacts channel #alipay-team`,"
                    " or `/onboard contacts channel none` to clear it."
                )
            )
        no_more(args, rest[1:], N_("one channel after `channel`"))
        return Contacts("channel", channel_id=_contacts_channel(rest[0]), app=options.app)
    if first.text.startswith("<@"):
        hint = Said(
            N_(" Say what to do first: `/onboard contacts add @Mei` or `contacts remove @Mei`.")
        )
    elif first.text.startswith("<#"):
        hint = Said(N_(" Say `channel` first: `/onboard contacts channel #alipay-team`."))
    else:
        hint = ""
    raise Invalid(
        N_(
            "{word} is not a `contacts` action. Use `add @person…`, `remove @person…`,"
            " `channel #channel` (or `channel none`), or nothing to list the contacts.{hint}"
        ),
        word=quote(first.text),
        hint=hint,
    )
