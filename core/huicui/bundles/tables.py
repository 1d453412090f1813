"""Bundle releases' table.

Its migrations stay in the ``venues`` Piccolo app, where the table was first made
(docs/architecture.md, "Domains and the tables they own").
"""

from __future__ import annotations

from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class BundleRelease(Table, tablename="bundle_release"):
    """One row per distinct global bundle content; its id is the bundle version."""

    digest = Varchar(length=64, index=True)  # sha256 of the global content
    key_count = Integer(default=0)
    revoked_count = Integer(default=0)
    benefit_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
