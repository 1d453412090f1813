"""Piccolo app of misuse flags."""

import os

from piccolo.conf.apps import AppConfig

from huicui.misuse.tables import MisuseFlag

APP_CONFIG = AppConfig(
    app_name="misuse",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[MisuseFlag],
    migration_dependencies=["huicui.venues.piccolo_app"],
    commands=[],
)
