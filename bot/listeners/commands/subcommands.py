"""Every `/onboard` subcommand, by the type the parser gives it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot import command_parser as cmd
from bot.listeners.commands import (
    applications,
    checklist,
    credentials,
    languages,
    people,
    report,
    settings,
    steps,
)
from bot.listeners.commands.request import Reply, Request

HANDLERS: dict[type, Callable[[Request, Any], Awaitable[Reply]]] = {
    cmd.Help: checklist.help_,
    cmd.NewApp: checklist.new,
    cmd.ListApps: checklist.list_,
    cmd.Status: checklist.status,
    cmd.History: checklist.history,
    cmd.Export: checklist.export,
    cmd.Mark: steps.mark,
    cmd.Unmark: steps.unmark,
    cmd.Skip: steps.skip,
    cmd.Unskip: steps.unskip,
    cmd.Assign: steps.assign,
    cmd.Unassign: steps.unassign,
    cmd.SetDue: steps.due,
    cmd.AddNote: steps.note,
    cmd.Remind: settings.remind,
    cmd.Digest: settings.digest,
    cmd.Contacts: settings.contacts,
    cmd.Creds: credentials.creds,
    cmd.Diagnose: credentials.diagnose,
    cmd.Rename: applications.rename,
    cmd.Archive: applications.archive,
    cmd.Unarchive: applications.unarchive,
    # Across applications
    cmd.Report: report.report,
    # A person's own settings
    cmd.Away: people.away,
    cmd.My: people.my,
    cmd.Language: languages.language,
}
