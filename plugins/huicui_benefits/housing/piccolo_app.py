"""Piccolo app of the housing benefit (migrated by ``huicui migrate``)."""

import os

from piccolo.conf.apps import AppConfig

from huicui_benefits.housing.tables import HousingApplication

APP_CONFIG = AppConfig(
    app_name="housing",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[HousingApplication],
    migration_dependencies=[],
    commands=[],
)
