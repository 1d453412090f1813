"""Piccolo app of the workstation benefit (migrated by ``huicui migrate``)."""

import os

from piccolo.conf.apps import AppConfig

from huicui_benefits.workstation.tables import WorkstationBooking

APP_CONFIG = AppConfig(
    app_name="workstation",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[WorkstationBooking],
    migration_dependencies=[],
    commands=[],
)
