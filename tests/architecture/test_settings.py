"""One settings object: the environment is read in ``leds.config`` and nowhere else, and
every setting is documented in README.md's settings table.

**What counts as reading the environment.** Any use of ``os.environ`` (``os.environ[k]``,
``.get``, ``k in os.environ``, ``.items()``, passing it on) or of ``os.getenv``, however
``os`` or ``environ`` was imported.  Only assigning or deleting a variable
(``os.environ[k] = v``) is not a read; ``leds.config.use_profile`` is the one place that
does it, for the processes ``leds serve`` starts.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import leds
from leds.config import SERVE_PROFILE, Settings, env_var

SRC = Path(leds.__file__).resolve().parent
SETTINGS_MODULE = SRC / "config.py"
README = SRC.parents[1] / "README.md"


def environment_reads(source: str) -> list[int]:
    """The lines of ``source`` that read the environment."""
    tree = ast.parse(source)
    os_names: set[str] = set()  # names bound to the os module
    env_names: set[str] = set()  # names bound to os.environ, os.environb, os.getenv, os.getenvb
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            env_names |= {a.asname or a.name for a in node.names if a.name in ENV_ATTRS}

    def is_environment(node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute):
            return node.attr in ENV_ATTRS and isinstance(node.value, ast.Name) and node.value.id in os_names
        return isinstance(node, ast.Name) and node.id in env_names

    writes = {id(n.value) for n in ast.walk(tree)
              if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store | ast.Del)}
    return sorted({n.lineno for n in ast.walk(tree) if is_environment(n) and id(n) not in writes})


ENV_ATTRS = {"environ", "environb", "getenv", "getenvb"}


@pytest.mark.parametrize("source", [
    "import os\nx = os.environ['LEDS_HOME']",
    "import os\nx = os.environ.get('LEDS_HOME')",
    "import os\nx = 'LEDS_HOME' in os.environ",
    "import os\nx = os.getenv('LEDS_HOME')",
    "import os\nenv = {**os.environ}",
    "import os as system\nx = system.environ.get('LEDS_HOME')",
    "from os import environ\nx = environ['LEDS_HOME']",
    "from os import getenv as ge\nx = ge('LEDS_HOME')",
    "def f():\n    import os\n    return os.environ.setdefault('LEDS_HOME', '.')",
])
def test_every_kind_of_environment_read_is_found(source: str) -> None:
    assert environment_reads(source)


@pytest.mark.parametrize("source", [
    "import os\nos.environ['LEDS_PROFILE'] = 'serve'",
    "import os\ndel os.environ['LEDS_PROFILE']",
    "import os\nx = os.path.join('a', 'b')",
    "environ = {}\nx = environ['LEDS_HOME']",  # not the os module's
])
def test_writes_and_other_names_are_not_reads(source: str) -> None:
    assert environment_reads(source) == []


def test_only_the_settings_module_reads_the_environment() -> None:
    found = {str(path.relative_to(SRC.parent)): lines
             for path in sorted(SRC.rglob("*.py")) if path != SETTINGS_MODULE
             if (lines := environment_reads(path.read_text()))}
    assert found == {}, f"read the environment in leds.config (a Settings field) instead: {found}"


def readme_settings() -> dict[str, str]:
    """README.md's settings table: variable -> the rest of its row."""
    text = README.read_text()
    start = text.index("| setting | meaning | default |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        m = re.match(r"\|\s*`([A-Z_]+)`\s*\|(.*)", line)
        assert m, f"a settings row that does not start with a `VARIABLE`: {line}"
        rows[m[1]] = m[2]
    return rows


def test_every_setting_is_documented_in_the_readme_and_only_those() -> None:
    documented = readme_settings()
    assert set(documented) == {env_var(field) for field in Settings.model_fields}


# -- what the settings do -------------------------------------------------------------------------
def test_values_given_to_the_constructor_win_over_the_environment(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDS_HOME", str(tmp_path / "from-env"))
    monkeypatch.setenv("LEDS_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1/none")
    given = Settings(home=tmp_path / "given", database_url_override=None)
    assert given.home == tmp_path / "given" and given.is_sqlite
    from_env = Settings.from_env()
    assert from_env.home == tmp_path / "from-env" and not from_env.is_sqlite


def test_cookies_are_secure_unless_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDS_COOKIE_SECURE")  # the tests' plain-http default (conftest)
    assert Settings(home=tmp_path).cookie_secure is True
    monkeypatch.setenv("LEDS_COOKIE_SECURE", "0")
    assert Settings(home=tmp_path).cookie_secure is False


def test_the_serve_profile_tunes_what_is_not_set_explicitly(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    plain = Settings(home=tmp_path)
    assert (plain.sqlite_cache_mb, plain.sqlite_pool, plain.sqlite_random_reads, plain.serve_threads) == \
        (128, 32, False, None)
    monkeypatch.setenv("LEDS_PROFILE", "serve")
    served = Settings(home=tmp_path)
    assert {k: getattr(served, k) for k in SERVE_PROFILE} == SERVE_PROFILE
    monkeypatch.setenv("LEDS_SQLITE_POOL", "3")
    assert Settings(home=tmp_path).sqlite_pool == 3 and Settings(home=tmp_path, sqlite_pool=5).sqlite_pool == 5


def test_settings_are_immutable_and_equal_by_value(tmp_path: Path) -> None:
    a, b = Settings(home=tmp_path), Settings(home=tmp_path)
    assert a == b and hash(a) == hash(b) and a.hash_secret == b.hash_secret
    with pytest.raises(ValueError, match="frozen"):
        a.home = tmp_path / "elsewhere"  # type: ignore[misc]
