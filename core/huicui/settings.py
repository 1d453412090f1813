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
from urllib.parse import urlsplit

import msgspec

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


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


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_ALL_INTERFACES = {"0.0.0.0", "::", ""}  # noqa: S104 (names, not a bind)


class ServerSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    # Empty: links are made from host and port (see ``base_url``).
    public_url: str = ""
    max_body_bytes: int = 5 * 1024 * 1024
    log_level: str = "info"

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError("server.port must be between 1 and 65535")
        if self.public_url:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("server.public_url must be empty or an http(s):// URL")
        if self.log_level.lower() not in LOG_LEVELS:
            raise ValueError("server.log_level must be one of " + ", ".join(LOG_LEVELS))

    def base_url(self) -> str:
        """Where holders and devices reach the service, without a trailing slash.

        ``public_url`` when set (behind a proxy it is the only way to know); otherwise
        the host and port this process serves, so changing the port moves every link.
        """
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in _ALL_INTERFACES else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def base_url_warning(self) -> str | None:
        """Why links made from ``base_url`` may not reach this process, or ``None``.

        A ``public_url`` naming this machine (a loopback name or ``host``) on another
        port than the one served disagrees for sure; a different host name is a proxy
        in front and is trusted. Serving every interface without a ``public_url`` gives
        links only this machine can follow.
        """
        if not self.public_url:
            if self.host in _ALL_INTERFACES:
                return (
                    f"server.host is {self.host or '(all)'} and server.public_url is not set: "
                    f"links use {self.base_url()}, which other machines cannot reach; "
                    "set server.public_url"
                )
            return None
        parts = urlsplit(self.public_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        local = parts.hostname in _LOOPBACK or parts.hostname == self.host
        if local and port != self.port:
            return (
                f"server.public_url is {self.public_url} but this process serves port "
                f"{self.port}: card links and device enrolment commands will not reach it"
            )
        return None


class CertificateSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What the printed certificate and the holder page name besides the card itself."""

    # The body whose seal goes on the certificate. In Beihai, as in most Chinese cities,
    # talent honours are conferred under the city party committee's talent work leading
    # group; its office (人才办) runs the roster day to day and keeps the seal.
    issuer_zh: str = "中共北海市委人才工作领导小组办公室"
    issuer_en: str = "Office of the Talent Work Leading Group, CPC Beihai Municipal Committee"
    seal_area: bool = True  # a marked circle where the issuer stamps its seal
    # Whom a holder asks when the card page says the card is no longer valid;
    # empty: the issuer. A phone is shown only when set (no made-up number).
    contact_zh: str = ""
    contact_en: str = ""
    contact_phone: str = ""

    def __post_init__(self) -> None:
        if not self.issuer_zh.strip() or not self.issuer_en.strip():
            raise ValueError("certificate.issuer_zh and certificate.issuer_en must be set")
        for name in ("issuer_zh", "issuer_en", "contact_zh", "contact_en", "contact_phone"):
            if len(getattr(self, name)) > 80:
                raise ValueError(f"certificate.{name} must be at most 80 characters")

    def contact(self) -> tuple[str, str]:
        """(zh, en) of whom holders contact: the contact when set, else the issuer."""
        return (self.contact_zh or self.issuer_zh, self.contact_en or self.issuer_en)


class AuthSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Failed bearer tokens per client address (``huicui.auth.failures``)."""

    max_failures: int = 20  # failed tokens from one address per window before 429
    window_seconds: int = 60
    tracked_clients: int = 10_000  # addresses remembered; the oldest are forgotten first

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError("auth.max_failures must be positive")
        if not 1 <= self.window_seconds <= 86_400:
            raise ValueError("auth.window_seconds must be 1..86400")
        if self.tracked_clients < 1:
            raise ValueError("auth.tracked_clients must be positive")


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
    # The review window: an active term may be renewed from this many days before it ends.
    renewal_window_days: int = 90

    def __post_init__(self) -> None:
        if self.import_max_bytes < 1024:
            raise ValueError("roster.import_max_bytes must be at least 1024")
        if self.import_max_rows < 1:
            raise ValueError("roster.import_max_rows must be positive")
        if not 1 <= self.renewal_window_days <= 3660:
            raise ValueError("roster.renewal_window_days must be 1..3660")


class BundleSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    lifetime_hours: int = 168
    skew_seconds: int = 300
    publish_dir: str = "var/bundle"  # the service's own published files (docs/bundle-service.md)
    check_seconds: float = 2.0  # polls ask the database whether anything changed this often


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


class SyncSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Sync ingest, its outbox and device tokens kept in memory (docs/sync.md)."""

    outbox_in_process: bool = True  # `huicui serve` works the outbox too (false: only workers)
    outbox_poll_seconds: float = 1.0  # an idle worker looks for others' work this often
    retry_max_seconds: int = 3600  # a failing listener is retried at least this often
    device_check_seconds: float = 1.0  # other processes refuse a disabled device within this
    seen_flush_seconds: float = 60.0  # devices' last_seen_at is written in batches this often
    enrollment_code_minutes: int = 30  # a device's enrollment QR can be exchanged this long

    def __post_init__(self) -> None:
        if not 0.05 <= self.outbox_poll_seconds <= 60:
            raise ValueError("sync.outbox_poll_seconds must be 0.05..60")
        if not 1 <= self.retry_max_seconds <= 86400:
            raise ValueError("sync.retry_max_seconds must be 1..86400")
        if not 0 <= self.device_check_seconds <= 60:
            raise ValueError("sync.device_check_seconds must be 0..60")
        if not 1 <= self.seen_flush_seconds <= 3600:
            raise ValueError("sync.seen_flush_seconds must be 1..3600")
        if not 1 <= self.enrollment_code_minutes <= 7 * 24 * 60:
            raise ValueError("sync.enrollment_code_minutes must be 1..10080")


class Settings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    program: ProgramSettings = msgspec.field(default_factory=ProgramSettings)
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    certificate: CertificateSettings = msgspec.field(default_factory=CertificateSettings)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    secrets: SecretsSettings = msgspec.field(default_factory=SecretsSettings)
    roster: RosterSettings = msgspec.field(default_factory=RosterSettings)
    bundle: BundleSettings = msgspec.field(default_factory=BundleSettings)
    cards: CardSettings = msgspec.field(default_factory=CardSettings)
    plugins: PluginSettings = msgspec.field(default_factory=PluginSettings)
    misuse: MisuseSettings = msgspec.field(default_factory=MisuseSettings)
    sync: SyncSettings = msgspec.field(default_factory=SyncSettings)
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
