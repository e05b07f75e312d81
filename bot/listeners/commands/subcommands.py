"""Every `/onboard` subcommand, by the type the parser gives it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot import command_parser as cmd
from bot.listeners.commands.checklist import (
    archive,
    assign,
    due,
    export,
    help_,
    history,
    list_,
    mark,
    new,
    note,
    rename,
    status,
    unassign,
    unmark,
)
from bot.listeners.commands.credentials import creds, diagnose
from bot.listeners.commands.request import Reply, Request
from bot.listeners.commands.settings import contacts, digest, remind

HANDLERS: dict[type, Callable[[Request, Any], Awaitable[Reply]]] = {
    cmd.Help: help_,
    cmd.NewApp: new,
    cmd.ListApps: list_,
    cmd.Status: status,
    cmd.Mark: mark,
    cmd.Unmark: unmark,
    cmd.Assign: assign,
    cmd.Unassign: unassign,
    cmd.SetDue: due,
    cmd.AddNote: note,
    cmd.History: history,
    cmd.Export: export,
    cmd.Remind: remind,
    cmd.Digest: digest,
    cmd.Contacts: contacts,
    cmd.Creds: creds,
    cmd.Diagnose: diagnose,
    cmd.Rename: rename,
    cmd.Archive: archive,
}
