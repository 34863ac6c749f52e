"""Finance's forms for payment runs: buttons that change a run.

Each carries the run's status as the person saw it (`seen`), so that a run changed by someone
else since the page was opened is refused by the run's own guard (a compare-and-set on its
status), with a plain message, rather than acted on.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField

from lep.payments.models import RUN_STATUSES


class BuildForm(FlaskForm):
    """Build a run from the preview: only the CSRF token is posted."""


class RunActionForm(FlaskForm):
    seen = HiddenField()

    def seen_status(self) -> str | None:
        """The status the person saw, if it is one a run can have."""
        seen = self.seen.data
        return seen if isinstance(seen, str) and seen in RUN_STATUSES else None
