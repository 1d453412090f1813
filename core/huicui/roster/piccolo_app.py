"""The ``roster`` Piccolo app: the migration unit of the directory, identity, membership,
audit and staff-token tables, which their own domains define (docs/architecture.md)."""

import os

from piccolo.conf.apps import AppConfig

from huicui.audit.tables import AuditEvent
from huicui.auth.tables import StaffToken
from huicui.directories.tables import Directory
from huicui.identities.tables import Identity
from huicui.memberships.tables import Membership

APP_CONFIG = AppConfig(
    app_name="roster",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Directory, Identity, Membership, AuditEvent, StaffToken],
    migration_dependencies=[],
    commands=[],
)
