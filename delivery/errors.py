"""Typed errors the library raises; the CLI turns each into a one-line message.

`exitcode` follows the project's convention (plugins/newsletter/problems.py): 2 for a
usage or configuration mistake, 1 for a content or operational failure.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """Base of every error the send-time code raises on purpose."""

    exitcode = 1


class UsageError(DeliveryError):
    """The command or its arguments cannot work as given."""

    exitcode = 2


class SettingsError(UsageError):
    """A setting or environment variable is missing or wrong."""


class SubscriberError(UsageError):
    """An address is invalid, unknown, or already on the list."""


class InvalidAddress(SubscriberError):
    pass


class UnknownSubscriber(SubscriberError):
    pass


class DuplicateSubscriber(SubscriberError):
    pass


class TokenError(DeliveryError):
    """A token is malformed, forged, altered, expired, or meant for another purpose."""


class CsvError(UsageError):
    """A CSV file cannot be read (no header, no address column)."""


class EditionError(DeliveryError):
    """An edition cannot be sent: not built, draft, stale or damaged."""


class EditionNotBuilt(EditionError):
    pass


class EditionDraft(EditionError):
    pass


class EditionStale(EditionError):
    pass


class EditionCorrupt(EditionError):
    pass


class SendRefused(DeliveryError):
    """The send would repeat an issue already sent, or has nobody to send to."""


class SendLocked(SendRefused):
    """Another process is sending this issue right now."""


class TransportError(DeliveryError):
    """The mail server cannot be reached or refuses us as a whole (not one recipient)."""


class ErrorBudgetExceeded(DeliveryError):
    """Too many deliveries failed: the run paused itself; the rest stay queued."""


class InboxLocked(DeliveryError):
    """Another program holds the lock of the mbox to process."""


class StoreError(DeliveryError):
    """The subscriber store cannot be opened or migrated."""


class StoreMissing(UsageError):
    """The subscriber store named by the settings is missing or empty (0 bytes)."""


class LeaseTaken(DeliveryError):
    """Another process holds the lease of a job that must run once at a time."""
