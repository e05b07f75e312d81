"""The one error for a request that cannot be applied, raised by services and use cases alike.

Its message is shown to the user as it is (an ephemeral reply, or an inline modal error): it
says what was wrong and what is valid. Nothing was changed when it is raised inside a change.
"""


class Refusal(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
