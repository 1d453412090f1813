from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index on certificate.revoked_at for the bundle's incremental read"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="issuance", description=DESCRIPTION)

    async def revoked_at_index():
        # The bundle service reads only the revocations made since its last read
        # (huicui.issuance.certificates.revocation_changes); without this index that read
        # scans every certificate. Raw DDL, as in 0002: the same SQL on both databases.
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS certificate_revoked_at ON certificate (revoked_at)"
        )

    manager.add_raw(revoked_at_index)
    return manager
