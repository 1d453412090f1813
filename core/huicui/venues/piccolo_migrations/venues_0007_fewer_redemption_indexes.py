from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-12-02T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "redemption: drop the device and venue indexes, which no query needs"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="venues", description=DESCRIPTION)

    # Every index on redemption is kept up by each synced record. The queries that read
    # the table: the settlement statement (partner and a time range), the staff listing
    # (any filter, newest first), misuse detection (certificate and time) and its rescan
    # (time). Device and venue are only optional filters of the listing, which walks
    # the time index newest first instead; nothing deletes a device or venue, so no
    # cascade needs them either. A (partner, at) index was measured too: its entries
    # land at random places where the partner one appends, and it cost SQLite's ingest
    # about 30%.
    for column in ("device", "venue"):
        manager.alter_column(
            table_class_name="Redemption",
            tablename="redemption",
            column_name=column,
            db_column_name=column,
            params={"index": False},
            old_params={"index": True},
            column_class=ForeignKey,
            old_column_class=ForeignKey,
            schema=None,
        )
    return manager
