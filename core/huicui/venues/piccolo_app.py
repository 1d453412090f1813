"""Piccolo app of partners, venues, devices, redemptions and bundle releases."""

import os

from piccolo.conf.apps import AppConfig

from huicui.bundles.tables import BundleRelease
from huicui.sync.tables import Redemption
from huicui.venues.tables import Device, DeviceEnrollment, DeviceGeneration, Partner, Venue

APP_CONFIG = AppConfig(
    app_name="venues",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Partner, Venue, Device, Redemption, BundleRelease, DeviceGeneration,
                   DeviceEnrollment],
    migration_dependencies=["huicui.roster.piccolo_app"],
    commands=[],
)
