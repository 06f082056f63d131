"""Messages in English and Korean: one catalogue per language, in ``rnn_tui/teach/locales``.

Plain Python (no Textual), so the engine-side code, the CLI and the app share
it. ``tr(key, **values)`` formats the message in the current language; a new
language is one more module in ``locales/`` with the same keys (a test checks
that every catalogue has every key, with the same placeholders).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from rnn_tui.teach.locales import en, ko

CATALOGS: dict[str, Mapping[str, str]] = {"en": en.MESSAGES, "ko": ko.MESSAGES}
LANGS: tuple[str, ...] = tuple(CATALOGS)
#: Each language's name, in itself, for the status bar and --help.
NAMES = {"en": "English", "ko": "한국어"}

_current = "en"


def detect(environ: Mapping[str, str] | None = None) -> str:
    """The language from LC_ALL, LC_MESSAGES or LANG (POSIX order); English otherwise."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            code = value.split("_")[0].split(".")[0].lower()
            return code if code in CATALOGS else "en"
    return "en"


def set_lang(lang: str) -> None:
    global _current
    if lang not in CATALOGS:
        raise ValueError(f"unknown language {lang!r}; one of {', '.join(LANGS)}")
    _current = lang


def lang() -> str:
    return _current


def tr(key: str, **values: object) -> str:
    """The message ``key`` in the current language, with ``values`` filled in."""
    template = CATALOGS[_current].get(key)
    if template is None:  # a missing key is a bug the catalogue test catches; show the key
        template = CATALOGS["en"].get(key, key)
    return template.format(**values) if values else template
