"""Errors the user can act on.

Every error here carries a one-line message that names the file, record or field at fault.
The CLI turns them into exit code 2; anything else escaping is a bug (exit code 1).
"""

from __future__ import annotations


class HippoError(Exception):
    """Base class: bad input or a state the user can fix; message is one line."""


class InputError(HippoError):
    """A corpus, dataset, OpenIE or pipeline file is malformed."""


class IndexFormatError(HippoError):
    """An index folder is missing, damaged, or written by an incompatible version or model."""


class IndexLockedError(HippoError):
    """Another process is writing the index."""


class IndexBusyError(IndexLockedError):
    """A live writer holds the index's lock now: trying again later can succeed (a damaged or
    replaced lock file, the other kind of IndexLockedError, cannot)."""


class MissingExtraError(HippoError):
    """An optional backend was chosen but its package is not installed."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"the '{package}' package is not installed; install it with: pip install '.[{extra}]' in the hipporag-like checkout"
        )
