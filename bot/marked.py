"""`N_`, the marker of messages kept in tables and translated later, where they are shown.

Apart from bot/i18n so that marking a message loads no catalog and no Babel: the CLI's Alipay
key and signature verbs mark theirs and must start at once (`onboard-bot signature verify`).
"""


def N_(message: str) -> str:
    """Marks a message kept in a table (translated later, where it is shown) for extraction."""
    return message
