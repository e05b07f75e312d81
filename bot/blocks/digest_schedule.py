"""The answer to `/onboard digest`: when the channel's digest is posted, in the reader's
language. A whole sentence per weekday, so no translated fragment is pasted into another."""

from __future__ import annotations

from bot.blocks.mrkdwn import escape_mrkdwn
from bot.i18n import ENGLISH_TRANSLATOR, N_, Translator
from storage.models import DigestSchedule

WEEKLY = (
    N_("A digest is posted here every Monday at {time} {zone} time."),
    N_("A digest is posted here every Tuesday at {time} {zone} time."),
    N_("A digest is posted here every Wednesday at {time} {zone} time."),
    N_("A digest is posted here every Thursday at {time} {zone} time."),
    N_("A digest is posted here every Friday at {time} {zone} time."),
    N_("A digest is posted here every Saturday at {time} {zone} time."),
    N_("A digest is posted here every Sunday at {time} {zone} time."),
)


def describe(schedule: DigestSchedule | None, t: Translator = ENGLISH_TRANSLATOR) -> str:
    """The channel's digest schedule (`None`: never set)."""
    if schedule is None:
        return t._("No digest is scheduled for this channel.")
    zone = escape_mrkdwn(schedule.timezone)
    if schedule.cadence == "off":
        return t._("No digest is scheduled for this channel (time zone {zone}).", zone=zone)
    time = escape_mrkdwn(schedule.at_time)
    if schedule.cadence == "daily":
        return t._("A digest is posted here every day at {time} {zone} time.", time=time, zone=zone)
    return t._(WEEKLY[schedule.weekday or 0], time=time, zone=zone)
