"""Input fields that refuse out-of-range values with a 400 instead of a database error."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# Ids and ticket numbers are signed 64-bit columns.
MAX_ID = 2**63 - 1


class IdField(serializers.PrimaryKeyRelatedField):
    """A primary key that must be a plain positive integer before the database sees it.

    DRF's own field passes e.g. 10**30 to the query, which SQLite answers with an
    OverflowError (a 500); here it is "does not exist", like any other unknown id.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        text = str(data).strip()
        if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
            self.fail("does_not_exist", pk_value=text[:40])
        return super().to_internal_value(int(text))


class TicketNumberField(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("help_text", _("A ticket number."))
        super().__init__(**kwargs)
