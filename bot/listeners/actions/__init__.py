from bot.listeners.actions import checklist, reminders


def register(app, runtime, surfaces) -> None:
    checklist.register(app, runtime, surfaces)
    checklist.register_history(app, runtime)
    reminders.register(app, runtime, surfaces)
