from bot.listeners.views import credentials, step_modals


def register(app, runtime, followups) -> None:
    step_modals.register(app, runtime, followups)
    credentials.register(app, runtime, followups)
