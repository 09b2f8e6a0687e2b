"""A small error hierarchy. Every message is shown to the user as is (Swedish),
so it names the file or input and says what is wrong. The CLI and the web layer
each turn these into output in one place; anything else is a bug and propagates.
"""

from __future__ import annotations


class AssistentError(Exception):
    """Base: the message is safe and useful to show to a user."""


class InputFileError(AssistentError):
    """One input file cannot be ingested; the batch continues."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UnsupportedFileError(InputFileError):
    pass


class EmptyDocumentError(InputFileError):
    pass


class ModelError(AssistentError):
    """The embedding model or LLM cannot be loaded or reached."""


class StoreError(AssistentError):
    """The store is missing, empty or inconsistent."""


class StoreBusyError(StoreError):
    """Another writer (an ingest, an upload, doctor --repair) holds the data directory's write lock."""


class QuestionError(AssistentError):
    """The question cannot be handled (empty, too long, ...)."""


class NotFoundError(AssistentError):
    """A section, document or file that was asked for does not exist."""
