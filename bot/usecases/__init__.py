"""One function per user intent, whichever surface it comes from.

A command, a button, a reminder DM and a modal that mean the same thing call the same use
case. Each takes the `Deps` it runs with, an `Actor` (who, in which workspace, from which
channel) and plain arguments; it authorizes (`access.py`), changes through the write path,
and returns a typed outcome: what changed, and, where a surface shows the change, in its
`followup` what must be redrawn and which messages were queued. Listeners render the outcome
and hand the follow-up to `bot/followup.py`; nothing here builds Slack blocks or posts.

- `context.py`: `Deps`, `Actor` and `Followup`
- `access.py`: finding the application an actor names, and who may see or change it
- `checklist.py`: create, list, show, mark, unmark, history, export
- `steps.py`: assign, unassign, due dates, notes, snooze, the step menu
- `applications.py`: rename, archive, unarchive, where the checklist message is
- `settings.py`: reminders, digests, Alipay contacts
- `report.py`: the portfolio report, over the applications the reader may see
- `people.py`: a person's own settings, in every application: away, their own holidays
- `credentials.py`: show, set, the credentials form, the key a diagnosis checks with
- `events.py`: handling each of Slack's Events API deliveries once
"""
