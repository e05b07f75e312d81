"""Subcommands that change steps: mark, unmark, skip, unskip, assign, unassign, due, note."""

from __future__ import annotations

from bot import command_parser as cmd
from bot.blocks import announce, replies
from bot.listeners.commands.request import Reply, Request
from bot.usecases import checklist, steps


async def mark(req: Request, command: cmd.Mark) -> Reply:
    done = await checklist.mark(
        req.deps, req.actor, command.app, command.steps, force=command.force
    )
    if done.asked is not None:  # a step that announces asks first; nothing was changed
        question_text, question_blocks = announce.preview(done.template, done.asked)
        return Reply(question_text, blocks=question_blocks)
    t = await req.t()
    text = replies.marked(done.followup.application, done.template, done.outcome, t)
    return Reply(text, after=req.after_change(done.followup))


async def unmark(req: Request, command: cmd.Unmark) -> Reply:
    done = await checklist.unmark(req.deps, req.actor, command.app, command.steps)
    text = replies.unmarked(done.followup.application, done.template, done.outcome, await req.t())
    return Reply(text, after=req.after_change(done.followup))


async def skip(req: Request, command: cmd.Skip) -> Reply:
    done = await checklist.skip(req.deps, req.actor, command.app, command.step, command.reason)
    text = replies.skipped(done.followup.application, done.template, done.outcome, await req.t())
    return Reply(text, after=req.after_change(done.followup))


async def unskip(req: Request, command: cmd.Unskip) -> Reply:
    done = await checklist.unskip(req.deps, req.actor, command.app, command.step)
    text = replies.unskipped(done.followup.application, done.template, done.outcome, await req.t())
    return Reply(text, after=req.after_change(done.followup))


async def assign(req: Request, command: cmd.Assign) -> Reply:
    done = await steps.assign(req.deps, req.actor, command.app, command.step, command.user_id)
    t = await req.t()
    text = replies.assigned(done.template, done.step, command.user_id, done.old, t)
    return Reply(text, after=req.after_change(done.followup))


async def unassign(req: Request, command: cmd.Unassign) -> Reply:
    done = await steps.assign(req.deps, req.actor, command.app, command.step, None)
    text = replies.unassigned(done.template, done.step, done.old, await req.t())
    if done.old is None:
        return Reply(text)
    return Reply(text, after=req.after_change(done.followup))


async def due(req: Request, command: cmd.SetDue) -> Reply:
    done = await steps.set_due(req.deps, req.actor, command.app, command.step, command.due)
    text = replies.due_set(done.template, done.step, done.due_on, done.zone_name, await req.t())
    return Reply(text, after=req.after_change(done.followup))


async def note(req: Request, command: cmd.AddNote) -> Reply:
    done = await steps.add_note(req.deps, req.actor, command.app, command.step, command.text)
    text = replies.noted(done.template, done.step, await req.t())
    return Reply(text, after=req.after_change(done.followup))
