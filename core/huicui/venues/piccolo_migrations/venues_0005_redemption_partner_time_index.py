from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-11-30T19:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "redemption: one (partner, at) index instead of the device, venue and partner ones"
)

_CREATE = 'CREATE INDEX IF NOT EXISTS "redemption_partner_at" ON "redemption" ("partner", "at")'
_DROP = 'DROP INDEX IF EXISTS "redemption_partner_at"'


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="venues", description=DESCRIPTION)

    # Every index on redemption is kept up by each synced record. The queries that read
    # the table: the settlement statement (partner and a time range, by time), the staff
    # listing (any filter, newest first), misuse detection (certificate and time) and
    # its rescan (time). The partner and time one serves the statement and a partner's
    # listing; a listing by device or venue alone walks the time index instead. Nothing
    # deletes a device, venue or partner, so no cascade needs these indexes either.
    for column in ("device", "venue", "partner"):
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

    async def create():
        from piccolo.engine import engine_finder

        await engine_finder().run_ddl(_CREATE)

    async def drop():
        from piccolo.engine import engine_finder

        await engine_finder().run_ddl(_DROP)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
