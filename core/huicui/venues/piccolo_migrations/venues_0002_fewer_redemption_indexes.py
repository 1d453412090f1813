from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Varchar

ID = "2026-11-26T19:50:36:674900"
VERSION = "1.38.0"
DESCRIPTION = "drop the duplicate uuid index and the lone benefit index on redemption"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="venues", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Redemption",
        tablename="redemption",
        column_name="uuid",
        db_column_name="uuid",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Redemption",
        tablename="redemption",
        column_name="benefit",
        db_column_name="benefit",
        params={"index": False},
        old_params={"index": True},
        column_class=Integer,
        old_column_class=Integer,
        schema=None,
    )

    return manager
