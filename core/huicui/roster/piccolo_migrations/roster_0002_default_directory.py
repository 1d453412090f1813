from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T18:52:09:000000"
VERSION = "1.38.0"
DESCRIPTION = "the default directory 荟萃北海"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="roster", description=DESCRIPTION)

    async def seed_default_directory():
        # The program's default roster exists from the first migration on; its
        # benefits are NULL, meaning every installed benefit.
        await engine_finder().run_ddl(
            "INSERT INTO directory (number, slug, name_zh, name_en, term_days, benefits, "
            "created_at) VALUES (1, 'default', '荟萃北海', 'Huicui Beihai', 1095, NULL, "
            "CURRENT_TIMESTAMP)"
        )

    manager.add_raw(seed_default_directory)
    return manager
