from bot.listeners.views import step_modals


def register(app, runtime, surfaces) -> None:
    step_modals.register(app, runtime, surfaces)
