"""Errors the user can act on: each message says what went wrong and what to do."""


class RagError(Exception):
    """Base class; the CLI prints the message (no traceback) and exits non-zero."""


class ConfigError(RagError):
    """A setting with a bad value (``RAG_CHUNK_TOKENS=abc``, ``--chunk-tokens 0``)."""


class IndexNotFoundError(RagError):
    pass


class IndexCorruptError(RagError):
    pass


class IndexMismatchError(RagError):
    """The index and what is asked of it disagree (model, quantization)."""


class InputError(RagError):
    """Bad arguments or input data (an empty question, an unknown article, ...)."""
