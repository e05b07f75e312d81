"""The error that stops an `onboard-bot` command with one line, apart from the settings
themselves so that verbs without settings (keys, signatures) need not load them."""


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line naming it."""
