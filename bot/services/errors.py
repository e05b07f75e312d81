"""The one error services raise for a request that cannot be applied."""


class ChecklistError(Exception):
    """A request that cannot be applied; the message says why and what is valid."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
