"""The housing-support application table (its own Piccolo app: ``housing``)."""

from __future__ import annotations

from huicui_benefits._applications import ApplicationColumns


class HousingApplication(ApplicationColumns, tablename="housing_application"):
    """A housing-purchase support application, processed by the housing office."""
