from bot.listeners.commands import onboard


def register(app, runtime, followups) -> None:
    onboard.register(app, runtime, followups)
