"""The key that seals answers: where it comes from, and what happens without one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot import keys
from bot.config import ConfigError, load_settings
from bot.keys import key_file_for
from bot.pulse.sealing import BOX_BYTES, UnreadableBox, open_box, require_key, seal

_NO_DOTENV = Path("/nonexistent/.env")


def settings(database_url: str, **extra: str):
    return load_settings({"DATABASE_URL": database_url, **extra}, dotenv_path=_NO_DOTENV)


@pytest.fixture(autouse=True)
def fresh_keys():
    keys.derived_key.cache_clear()
    yield
    keys.derived_key.cache_clear()


def test_with_sqlite_a_key_file_is_made_beside_the_database_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'mentor_nudge.db'}"
    assert key_file_for(url) == tmp_path / "mentor_nudge.key"
    box = seal(settings(url), {"comment": "hello"}, "ctx")
    key_file = tmp_path / "mentor_nudge.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_text().strip()) >= 32
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no stray temp file

    keys.derived_key.cache_clear()  # another process: same file, same key
    assert open_box(settings(url), box, "ctx") == {"comment": "hello"}
    # The key file is not the database: with a new one, old boxes no longer open.
    key_file.unlink()
    keys.derived_key.cache_clear()
    with pytest.raises(UnreadableBox):
        open_box(settings(url), box, "ctx")


def test_secret_key_wins_over_the_key_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'mn.db'}"
    box = seal(settings(url, SECRET_KEY="k" * 40), {"a": 1}, "ctx")
    assert not (tmp_path / "mn.key").exists()
    assert open_box(settings(f"sqlite:///{tmp_path / 'other.db'}", SECRET_KEY="k" * 40), box, "ctx") == {
        "a": 1
    }
    assert len(box) == BOX_BYTES


def test_postgres_needs_secret_key_and_says_how_to_make_one():
    with pytest.raises(ConfigError) as missing:
        require_key(settings("postgresql://mn@db.example/mn"))
    assert "SECRET_KEY is not set" in str(missing.value) and "token_urlsafe" in str(missing.value)
    require_key(settings("postgresql://mn@db.example/mn", SECRET_KEY="s" * 32))


@pytest.mark.parametrize("value", ["too-short", "has spaces in it but is long enough 123"])
def test_a_weak_or_malformed_secret_key_stops_start_up(value):
    with pytest.raises(ConfigError) as bad:
        require_key(settings("sqlite:///x.db", SECRET_KEY=value))
    assert "SECRET_KEY must be at least 32 characters" in str(bad.value)


def test_a_damaged_key_file_stops_start_up_with_a_sentence(tmp_path):
    (tmp_path / "mn.key").write_text("short\n")
    with pytest.raises(ConfigError) as damaged:
        require_key(settings(f"sqlite:///{tmp_path / 'mn.db'}"))
    assert "is damaged" in str(damaged.value)


def test_the_secret_key_never_shows_in_settings_repr():
    assert "k" * 40 not in repr(settings("sqlite:///x.db", SECRET_KEY="k" * 40))
