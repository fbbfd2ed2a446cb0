"""Errors the library raises for expected failures; the CLI prints them as one line.

    AssistantError
    ├── CorpusError            a corpus file or folder cannot be used
    ├── IndexNotBuiltError     no index where one was expected
    ├── IndexMismatchError     the index was built with another model or format
    ├── IndexBusyError         another build holds the index's build lock
    ├── QuestionError          an empty, oversized or otherwise unusable question
    ├── UnknownDocumentError   a document id that is not in the index
    ├── SettingError           a setting with a value the assistant does not know
    └── FeedbackError          feedback that cannot be stored (unknown rating, long comment)
        └── FeedbackStorageError   the feedback file cannot be written (disk full, read-only)

Every message says what happened, quotes the value, and says what to do next.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class CorpusError(AssistantError):
    """A corpus file or folder cannot be read."""


class IndexNotBuiltError(AssistantError):
    """There is no usable index at the given location."""


class IndexMismatchError(AssistantError):
    """The index on disk was built with different settings (model, format)."""


class IndexBusyError(AssistantError):
    """Another process is building the index and did not finish in the time allowed."""


class QuestionError(AssistantError):
    """The question cannot be answered as given (empty, too long)."""


class UnknownDocumentError(AssistantError):
    """A document id that the index does not hold."""


class SettingError(AssistantError):
    """A setting whose value is not one of those the assistant knows."""


class FeedbackError(AssistantError):
    """Feedback that cannot be stored: an unknown rating or an oversized comment."""


class FeedbackStorageError(FeedbackError):
    """Valid feedback that could not be written: the disk is full, the file is read-only or
    locked too long. Nothing was stored; answering questions is not affected."""
