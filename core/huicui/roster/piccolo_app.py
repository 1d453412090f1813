"""Piccolo app of the roster tables."""

import os

from piccolo.conf.apps import AppConfig

from huicui.roster.tables import AuditEvent, Directory, Identity, Membership, StaffToken

APP_CONFIG = AppConfig(
    app_name="roster",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Directory, Identity, Membership, AuditEvent, StaffToken],
    migration_dependencies=[],
    commands=[],
)
