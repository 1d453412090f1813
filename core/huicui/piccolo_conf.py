"""Piccolo configuration used by the service, the `huicui` command and `piccolo` itself.

Settings decide the engine (``HUICUI_DATABASE_URL``); the app registry holds the
core apps and the Piccolo apps of installed benefit plugins.
"""

from piccolo.conf.apps import AppRegistry

from huicui.db import CORE_APPS, build_engine
from huicui.plugins.discovery import plugin_piccolo_apps
from huicui.settings import load_settings

DB = build_engine(load_settings().database)
APP_REGISTRY = AppRegistry(apps=CORE_APPS + plugin_piccolo_apps())
