"""The one error that services raise when they refuse an operation."""

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A refused operation: a stable ``code`` for programs and a ``message`` for people.

    ``message`` is usually a lazy translation so that it is rendered in the language of
    the request that shows it.
    """

    def __init__(self, code: str, message: str | Promise, **params: object) -> None:
        self.code = code
        self.message = message
        self.params = params
        super().__init__(code)

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text
