"""Audit: an append-only record of every decision about a person or their money.

Services call `record(...)` inside their own transaction, so the event commits or rolls back with
the change it describes. A job recording thousands of events at once uses `record_many`.
"""

from lep.audit.services import Event, record, record_many

__all__ = ["Event", "record", "record_many"]
