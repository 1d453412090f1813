"""Piccolo app of the school benefit (migrated by ``huicui migrate``)."""

import os

from piccolo.conf.apps import AppConfig

from huicui_benefits.school.tables import SchoolApplication

APP_CONFIG = AppConfig(
    app_name="school",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[SchoolApplication],
    migration_dependencies=[],
    commands=[],
)
