"""Errors the user can act on: each message says what went wrong and what to do."""


class RagError(Exception):
    """Base class; the CLI prints the message (no traceback) and exits non-zero."""


class IndexNotFoundError(RagError):
    pass


class IndexCorruptError(RagError):
    pass


class IndexMismatchError(RagError):
    pass


class InputError(RagError):
    """Bad arguments or input data (an empty question, an unknown article, ...)."""
