"""Settings: environment over TOML file over defaults; no Redis URL means the memory bus."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.bus import MemoryBus, RedisBus, create_bus
from hub.settings import DEFAULT_DATABASE_URL, load_settings


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "okno.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_defaults_without_file_or_environment() -> None:
    settings = load_settings(environ={})
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///var/okno.db"
    assert settings.redis_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.public_url == "http://127.0.0.1:8080"
    assert settings.default_region == "RU" and settings.default_locale == "ru"


def test_environment_beats_file_beats_defaults(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        '[okno]\nport = 9000\nhost = "0.0.0.0"\n'
        'database_url = "postgresql+asyncpg://okno@db/okno"\nbase_url = "https://okno.example"\n',
    )
    settings = load_settings(config, environ={"OKNO_PORT": "9100", "OKNO_DEFAULT_REGION": "by"})
    assert settings.port == 9100  # environment over the file
    assert settings.host == "0.0.0.0"  # the file over the default
    assert settings.database_url == "postgresql+asyncpg://okno@db/okno"
    assert settings.default_region == "BY"
    assert settings.public_url == "https://okno.example"
    assert settings.session_max_age_s == 12 * 3600  # untouched default


def test_config_path_from_environment_and_command_line_overrides(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[okno]\nredis_url = "redis://cache:6379/2"\nport = 9000\n')
    environ = {"OKNO_CONFIG": str(config), "OKNO_PORT": "9100", "OTHER_PORT": "1"}
    settings = load_settings(environ=environ, port=9200, host=None)
    assert settings.redis_url == "redis://cache:6379/2"
    assert settings.port == 9200  # an explicit flag wins; None means "not given"


def test_unknown_keys_and_bad_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="databse_url"):
        load_settings(write_config(tmp_path, '[okno]\ndatabse_url = "x"\n'), environ={})
    with pytest.raises(ValidationError, match="port"):
        load_settings(environ={"OKNO_PORT": "70000"})
    # A typo in an environment variable name is not an OKNO_ setting and is ignored.
    assert load_settings(environ={"OKNO_DATABSE_URL": "x"}).database_url == DEFAULT_DATABASE_URL


async def test_redis_url_picks_the_bus() -> None:
    unset = load_settings(environ={})
    assert isinstance(create_bus(unset.redis_url, unset.redis_prefix), MemoryBus)
    configured = load_settings(
        environ={"OKNO_REDIS_URL": "redis://127.0.0.1:6379/0", "OKNO_REDIS_PREFIX": "shop1:"}
    )
    bus = create_bus(configured.redis_url, configured.redis_prefix)
    try:
        assert isinstance(bus, RedisBus) and bus.channel == "shop1:events"
    finally:
        await bus.close()
