"""Settings: defaults from ``config/huicui.toml``, each overridable by ``HUICUI_<SECTION>_<KEY>``.

The defaults live in the Structs below so an installed service runs without the
repository's ``config/`` folder; ``tests/test_settings.py`` proves the TOML file
and these defaults agree, so the TOML is the readable copy of the truth.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


class ProgramSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: str = "BH"
    name_zh: str = "荟萃北海"
    name_en: str = "Huicui Beihai"
    timezone: str = "Asia/Shanghai"
    default_term_days: int = 1095

    def __post_init__(self) -> None:
        if not (2 <= len(self.code) <= 4) or not self.code.isascii() or not self.code.isalnum():
            raise ValueError("program.code must be 2-4 ASCII letters or digits")
        if self.default_term_days < 1:
            raise ValueError("program.default_term_days must be positive")


class ServerSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 5 * 1024 * 1024
    log_level: str = "info"

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError("server.port must be between 1 and 65535")


class DatabaseSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: str = "sqlite:///var/huicui.sqlite3"
    pool_size: int = 10  # PostgreSQL connections per process; 0 = one per query

    def __post_init__(self) -> None:
        if not self.url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("database.url must start with sqlite:/// or postgresql://")


class SecretsSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # Either the value itself (base64, for containers) or a file holding it.
    data_key: str = ""
    data_key_file: str = "var/secrets/data.key"
    signing_passphrase: str = ""
    signing_passphrase_file: str = "var/secrets/signing.pass"  # noqa: S105 (a path)


class RosterSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    import_max_bytes: int = 32 * 1024 * 1024  # an uploaded roster file larger than this: 413
    import_max_rows: int = 200_000

    def __post_init__(self) -> None:
        if self.import_max_bytes < 1024:
            raise ValueError("roster.import_max_bytes must be at least 1024")
        if self.import_max_rows < 1:
            raise ValueError("roster.import_max_rows must be positive")


class BundleSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    lifetime_hours: int = 168
    skew_seconds: int = 300


class CardSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The live phone card (docs/hb2.md, docs/roster.md "Phone cards")."""

    activations_per_term: int = 3  # phones a holder may bind per term before staff reset
    wrong_code_limit: int = 10  # wrong activation codes before activation locks

    def __post_init__(self) -> None:
        if not 1 <= self.activations_per_term <= 100:
            raise ValueError("cards.activations_per_term must be 1..100")
        if not 1 <= self.wrong_code_limit <= 1000:
            raise ValueError("cards.wrong_code_limit must be 1..1000")


class PluginSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    strict: bool = False
    blocked: list[str] = msgspec.field(default_factory=list)


class MisuseSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Misuse detection after sync (see docs/settlement.md)."""

    enabled: bool = True
    max_speed_kmh: float = 120.0  # faster than this between two venues: impossible travel
    min_distance_km: float = 5.0  # venues closer than this are never compared
    window_hours: int = 24  # uses further apart in time than this are never compared

    def __post_init__(self) -> None:
        if self.max_speed_kmh <= 0:
            raise ValueError("misuse.max_speed_kmh must be positive")
        if self.min_distance_km < 0:
            raise ValueError("misuse.min_distance_km must not be negative")
        if not 1 <= self.window_hours <= 24 * 31:
            raise ValueError("misuse.window_hours must be 1..744")


class Settings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    program: ProgramSettings = msgspec.field(default_factory=ProgramSettings)
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    secrets: SecretsSettings = msgspec.field(default_factory=SecretsSettings)
    roster: RosterSettings = msgspec.field(default_factory=RosterSettings)
    bundle: BundleSettings = msgspec.field(default_factory=BundleSettings)
    cards: CardSettings = msgspec.field(default_factory=CardSettings)
    plugins: PluginSettings = msgspec.field(default_factory=PluginSettings)
    misuse: MisuseSettings = msgspec.field(default_factory=MisuseSettings)
    # Per-benefit overrides keyed by slug (limits, prices, hours); each plugin
    # documents and validates its own keys.
    benefits: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)


def _find_config_file(environ: dict[str, str]) -> Path | None:
    explicit = environ.get("HUICUI_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SettingsError(f"HUICUI_CONFIG points to {path}, which is not a file")
        return path
    for folder in (Path.cwd(), *Path.cwd().parents):
        candidate = folder / "config" / "huicui.toml"
        if candidate.is_file():
            return candidate
    return None


def _env_value(raw: str, field_type: Any) -> Any:
    # Lists and dicts come as JSON, or a list as comma-separated words.
    text = raw.strip()
    if text.startswith(("[", "{")):
        return json.loads(text)
    if getattr(field_type, "__origin__", None) is list or field_type == "list[str]":
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _apply_env(data: dict[str, Any], environ: dict[str, str]) -> None:
    sections = {f.name: f.type for f in msgspec.structs.fields(Settings)}
    for env_name, raw in environ.items():
        if not env_name.startswith("HUICUI_") or env_name in {"HUICUI_CONFIG"}:
            continue
        rest = env_name[len("HUICUI_") :].lower()
        section, _, key = rest.partition("_")
        if section not in sections or section == "benefits" or not key:
            continue
        section_type = sections[section]
        fields = {f.name: f.type for f in msgspec.structs.fields(section_type)}
        if key not in fields:
            raise SettingsError(
                f"{env_name}: unknown setting {section}.{key}; known: " + ", ".join(sorted(fields))
            )
        try:
            value = _env_value(raw, fields[key])
        except json.JSONDecodeError as exc:
            raise SettingsError(f"{env_name}: not valid JSON ({exc})") from exc
        data.setdefault(section, {})[key] = value


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the TOML defaults, apply ``HUICUI_*`` variables, validate.

    Raises :class:`SettingsError` naming the offending setting, so start-up
    stops with a message a person can act on.
    """
    environ = dict(os.environ if environ is None else environ)
    data: dict[str, Any] = {}
    path = _find_config_file(environ)
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML ({exc})") from exc
    _apply_env(data, environ)
    try:
        return msgspec.convert(data, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_explain(exc, environ, path)) from exc


_AT = re.compile(r"at `\$\.([a-z_]+)(?:\.([a-z_]+))?")


def _explain(exc: msgspec.ValidationError, environ: dict[str, str], path: Path | None) -> str:
    """Name the setting, and the variable or file it came from, in a validation error."""
    message = str(exc)
    match = _AT.search(message)
    if not match:
        return f"bad setting: {message}"
    section, key = match.group(1), match.group(2)
    if key is None:
        # __post_init__ errors point at the section; their text names the key.
        named = re.search(rf"\b{section}\.([a-z_]+)", message)
        key = named.group(1) if named else None
    setting = f"{section}.{key}" if key else section
    source = str(path) if path else "defaults"
    if key and (env := f"HUICUI_{section}_{key}".upper()) in environ:
        source = env
    return f"bad setting {setting} (from {source}): {message}"


def defaults_as_dict() -> dict[str, Any]:
    """The built-in defaults, as the TOML file should spell them."""
    return msgspec.to_builtins(Settings())
