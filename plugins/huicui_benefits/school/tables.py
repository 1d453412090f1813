"""The school-priority application table (its own Piccolo app: ``school``)."""

from __future__ import annotations

from huicui_benefits._applications import ApplicationColumns


class SchoolApplication(ApplicationColumns, tablename="school_application"):
    """A priority school-choice application for a member's direct descendant."""
