from bot.listeners.commands import onboard


def register(app, runtime, surfaces) -> None:
    onboard.register(app, runtime, surfaces)
