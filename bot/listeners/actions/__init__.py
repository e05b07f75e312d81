from bot.listeners.actions import checklist


def register(app, runtime, surfaces) -> None:
    checklist.register(app, runtime, surfaces)
