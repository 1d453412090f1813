"""Piccolo app of the sync outbox (the ``redemption`` table stays in ``venues``)."""

import os

from piccolo.conf.apps import AppConfig

from huicui.sync.tables import SyncOutbox

APP_CONFIG = AppConfig(
    app_name="sync",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[SyncOutbox],
    migration_dependencies=["huicui.venues.piccolo_app"],
    commands=[],
)
