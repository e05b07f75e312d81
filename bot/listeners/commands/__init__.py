from bot.listeners.commands import onboard


def register(app, runtime) -> None:
    onboard.register(app, runtime)
