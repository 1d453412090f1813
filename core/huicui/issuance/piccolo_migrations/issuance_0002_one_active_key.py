from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T18:56:19:000000"
VERSION = "1.38.0"
DESCRIPTION = "at most one active signing key per purpose"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="issuance", description=DESCRIPTION)

    async def one_active_key():
        # A partial unique index (same SQL on SQLite and PostgreSQL) makes "exactly one
        # active key" a database rule: two processes starting at once cannot both make one.
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS signing_key_one_active "
            "ON signing_key (purpose) WHERE state = 'active'"
        )

    manager.add_raw(one_active_key)
    return manager
