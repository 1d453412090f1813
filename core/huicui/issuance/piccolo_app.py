"""Piccolo app of issuance: signing keys and certificates."""

import os

from piccolo.conf.apps import AppConfig

from huicui.issuance.tables import Certificate, PhoneBinding, SigningKey

APP_CONFIG = AppConfig(
    app_name="issuance",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[SigningKey, Certificate, PhoneBinding],
    migration_dependencies=["huicui.roster.piccolo_app"],
    commands=[],
)
