"""Piccolo app of the roster tables."""

import os

from piccolo.conf.apps import AppConfig

from huicui.audit.tables import AuditEvent
from huicui.auth.tables import StaffToken
from huicui.roster.tables import Directory, Identity, Membership

APP_CONFIG = AppConfig(
    app_name="roster",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Directory, Identity, Membership, AuditEvent, StaffToken],
    migration_dependencies=[],
    commands=[],
)
