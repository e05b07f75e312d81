from bot.listeners.views import credentials, step_modals


def register(app, runtime, surfaces) -> None:
    step_modals.register(app, runtime, surfaces)
    credentials.register(app, runtime)
