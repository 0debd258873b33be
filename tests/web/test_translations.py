"""The Simplified Chinese catalogue: complete, not fuzzy, placeholders kept, and the committed .mo compiled from it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

import shopdesk

LC_MESSAGES = Path(shopdesk.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%|%[sdif]")
NAMED_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")
RECOMPILE = (
    "cd src/shopdesk && python -m django compilemessages -l zh_Hans --settings=shopdesk.settings"
)


def parse_po(path: Path) -> list[dict]:
    """A tiny .po reader: msgctxt/msgid/msgid_plural/msgstr[n], flags, obsolete (#~) entries marked."""
    entries: list[dict] = []
    cur: dict = {}
    key = None

    def flush():
        nonlocal cur, key
        if cur:
            entries.append(cur)
        cur, key = {}, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        starts_entry = line.startswith("#") or line.split(" ", 1)[0] in ("msgctxt", "msgid")
        if starts_entry and any(k.startswith("msgstr") for k in cur):
            flush()
        if line.startswith("#~"):
            cur["obsolete"] = True
        elif line.startswith("#,"):
            cur.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            cur[key] += ast.literal_eval(line)
        else:
            key, _, rest = line.partition(" ")
            cur[key] = ast.literal_eval(rest)
    flush()
    for e in entries:
        e.setdefault("flags", set())
    return entries


ENTRIES = parse_po(PO)
HEADER = next(e for e in ENTRIES if e.get("msgid") == "" and "msgctxt" not in e)
MESSAGES = [e for e in ENTRIES if e.get("msgid") and not e.get("obsolete")]


def _msgstrs(entry: dict) -> list[str]:
    return [v for k, v in sorted(entry.items()) if k.startswith("msgstr")]


def test_header():
    header = HEADER["msgstr"]
    assert "Language: zh_Hans\n" in header
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header
    assert "charset=UTF-8" in header
    assert "fuzzy" not in HEADER["flags"]


def test_every_entry_translated_and_not_fuzzy():
    assert len(MESSAGES) > 200
    empty = [e["msgid"] for e in MESSAGES if not all(_msgstrs(e))]
    fuzzy = [e["msgid"] for e in MESSAGES if "fuzzy" in e["flags"]]
    assert empty == [], "untranslated entries"
    assert fuzzy == [], "fuzzy entries: check the translation, then remove the flag"


def _placeholders(text: str, python_format: bool) -> list[str]:
    return sorted((PLACEHOLDER if python_format else NAMED_PLACEHOLDER).findall(text))


def test_placeholders_kept():
    bad = []
    for e in MESSAGES:
        python_format = "python-format" in e["flags"]
        expected = _placeholders(e["msgid"], python_format)
        bad += [(e["msgid"], s) for s in _msgstrs(e) if _placeholders(s, python_format) != expected]
    assert bad == []


def test_compiled_mo_matches_po():
    """Every .po entry comes back from Django's gettext as its msgstr; fails when the .mo was not recompiled."""
    assert MO.exists(), f"missing {MO}; run: {RECOMPILE}"
    stale = []
    with translation.override("zh-hans"):
        for e in MESSAGES:
            msgid, ctx = e["msgid"], e.get("msgctxt")
            if "msgid_plural" in e:
                for n in (1, 2):
                    got = (translation.npgettext(ctx, msgid, e["msgid_plural"], n) if ctx
                           else translation.ngettext(msgid, e["msgid_plural"], n))
                    if got != e["msgstr[0]"]:
                        stale.append((msgid, got))
            else:
                got = translation.pgettext(ctx, msgid) if ctx else translation.gettext(msgid)
                if got != e["msgstr"]:
                    stale.append((msgid, got))
    assert stale == [], f"django.mo is out of date; run: {RECOMPILE}"


@pytest.mark.parametrize(
    ("msgid", "expected"),
    [("Today's work", "今日工作"), ("Log in", "登录"), ("Log out", "退出登录"), ("Audit log", "审计日志"),
     ("Stand-ins", "临时代理"), ("Staff", "员工"), ("Shops", "店铺"), ("ShopDesk", "店务台")],
)
def test_key_terms(msgid, expected):
    with translation.override("zh-hans"):
        assert translation.gettext(msgid) == expected


def test_view_messages_are_in_the_catalogue():
    """Flash messages and confirmations built with gettext in the views must be translated too.

    If this fails after `makemessages`, the strings were marked obsolete (#~) because makemessages did not
    extract them: call gettext under a name xgettext knows (gettext, _, gettext_lazy ...), not an alias like _t.
    """
    samples = ["Stand-in granted.", "Deactivate the selected accounts?", "Account %(u)s saved.",
               "Shop %(s)s added."]
    with translation.override("zh-hans"):
        untranslated = [s for s in samples if translation.gettext(s) == s]
        plural = translation.ngettext("%(n)d stand-in revoked.", "%(n)d stand-ins revoked.", 2)
    assert untranslated == []
    assert plural == "已撤销 %(n)d 个临时代理。"
