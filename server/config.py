"""Where the district server keeps its store and its secrets.

Zero configuration gives a working server: a SQLite file and a secret file in
the user's data directory. Production passes a PostgreSQL URL and a secret file
kept outside the database (and outside its backups).

    settings = ServerSettings.from_environment()
    settings.database_url  # 'sqlite:////home/ops/.local/share/doorctl/district.sqlite3'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DATABASE_URL_ENV = "DOORCTL_DATABASE_URL"
SECRET_FILE_ENV = "DOORCTL_SERVER_SECRET_FILE"
SECRET_ENV = "DOORCTL_SERVER_SECRET"
# The district root (provisioning's sealed file) and what unseals it: a key file or a passphrase.
ROOT_SECRET_FILE_ENV = "DOORCTL_ROOT_SECRET_FILE"
ROOT_KEY_FILE_ENV = "DOORCTL_ROOT_KEY_FILE"
ROOT_PASSPHRASE_ENV = "DOORCTL_ROOT_PASSPHRASE"
EVENT_RETENTION_ENV = "DOORCTL_EVENT_RETENTION_DAYS"

# JSON bodies are small records; only the import endpoints take files.
DEFAULT_JSON_BODY_LIMIT = 64 * 1024
DEFAULT_IMPORT_BODY_LIMIT = 16 * 1024 * 1024


def data_dir() -> Path:
    """The user's data directory for doorctl (XDG on Linux)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "doorctl"


def default_database_url() -> str:
    return "sqlite:///" + str(data_dir() / "district.sqlite3")


@dataclass
class ServerSettings:
    database_url: str
    secret_file: Path | None = None
    # Raw secret (hex) given directly, e.g. by a container's environment.
    secret_hex: str | None = None
    root_secret_file: Path | None = None
    root_key_file: Path | None = None
    root_passphrase: str | None = None
    json_body_limit: int = DEFAULT_JSON_BODY_LIMIT
    import_body_limit: int = DEFAULT_IMPORT_BODY_LIMIT
    token_lifetime_s: int = 12 * 3600
    # Door events are kept at least 180 days (GB 50396); POST /events/purge deletes older ones.
    event_retention_days: int = 365
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_environment(cls, database_url: str | None = None, **overrides) -> "ServerSettings":
        url = database_url or os.environ.get(DATABASE_URL_ENV) or default_database_url()
        secret_file = os.environ.get(SECRET_FILE_ENV)
        root_file = os.environ.get(ROOT_SECRET_FILE_ENV)
        root_key = os.environ.get(ROOT_KEY_FILE_ENV)
        settings = cls(
            database_url=url,
            secret_file=Path(secret_file) if secret_file else None,
            secret_hex=os.environ.get(SECRET_ENV) or None,
            root_secret_file=Path(root_file) if root_file else None,
            root_key_file=Path(root_key) if root_key else None,
            root_passphrase=os.environ.get(ROOT_PASSPHRASE_ENV) or None,
        )
        if os.environ.get(EVENT_RETENTION_ENV):
            settings.event_retention_days = int(os.environ[EVENT_RETENTION_ENV])
        for key, value in overrides.items():
            setattr(settings, key, value)
        return settings
