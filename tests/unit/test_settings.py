"""Settings: the TOML file matches the built-in defaults; bad values stop start-up."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from huicui.settings import SettingsError, defaults_as_dict, load_settings

ROOT = Path(__file__).resolve().parents[2]
BASE = {"HUICUI_CONFIG": str(ROOT / "config" / "huicui.toml")}


def test_toml_equals_struct_defaults():
    parsed = tomllib.loads((ROOT / "config" / "huicui.toml").read_text(encoding="utf-8"))
    assert parsed.pop("benefits") == {}
    defaults = defaults_as_dict()
    assert defaults.pop("benefits") == {}
    assert parsed == defaults


def test_environment_overrides():
    s = load_settings({**BASE, "HUICUI_SERVER_PORT": "9001", "HUICUI_PLUGINS_BLOCKED": "a, b",
                       "HUICUI_ROSTER_IMPORT_MAX_ROWS": "10"})
    assert s.server.port == 9001 and s.plugins.blocked == ["a", "b"]
    assert s.roster.import_max_rows == 10


@pytest.mark.parametrize(("env", "named"), [
    ({"HUICUI_SERVER_PORT": "abc"}, ["server.port", "HUICUI_SERVER_PORT"]),
    ({"HUICUI_SERVER_PORT": "70000"}, ["server.port"]),
    ({"HUICUI_DATABASE_URL": "mysql://x"}, ["database.url", "HUICUI_DATABASE_URL"]),
    ({"HUICUI_SERVER_FOO": "1"}, ["HUICUI_SERVER_FOO", "server.foo"]),
    ({"HUICUI_PROGRAM_CODE": "TOOLONG"}, ["program.code"]),
    ({"HUICUI_PLUGINS_BLOCKED": "[1, "}, ["HUICUI_PLUGINS_BLOCKED"]),
    ({"HUICUI_ROSTER_IMPORT_MAX_BYTES": "5"}, ["roster.import_max_bytes"]),
])
def test_bad_values_name_the_setting(env, named):
    with pytest.raises(SettingsError) as info:
        load_settings({**BASE, **env})
    for text in named:
        assert text in str(info.value)


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match="HUICUI_CONFIG"):
        load_settings({"HUICUI_CONFIG": str(tmp_path / "none.toml")})


@pytest.mark.parametrize(("var", "value", "named"), [
    ("HUICUI_SERVER_PORT", "abc", "server.port"),
    ("HUICUI_DATABASE_URL", "mysql://x", "database.url"),
    ("HUICUI_SERVER_FOO", "1", "HUICUI_SERVER_FOO"),
])
def test_start_up_stops_with_the_message(var, value, named, tmp_path):
    """``huicui serve`` and ``huicui migrate`` exit 2 with the setting named on stderr."""
    import os

    env = {**os.environ, var: value}
    huicui = str(Path(sys.executable).parent / "huicui")
    for command in ("serve", "migrate"):
        done = subprocess.run([huicui, command], env=env,
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert done.returncode == 2, done.stderr[-500:]
        assert named in done.stderr and "settings error" in done.stderr
