"""Audit: an append-only record of every decision about a person or their money.

Services call `record(...)` inside their own transaction, so the event commits or rolls back with
the change it describes.
"""

from lep.audit.services import record

__all__ = ["record"]
