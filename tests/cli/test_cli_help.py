"""Every ``huicui`` command and option speaks both languages, Chinese first."""

from __future__ import annotations

import argparse
import re

from huicui.cli import build_parser

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


def _commands(parser: argparse.ArgumentParser, prefix=()):
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield from _commands(sub, (*prefix, name))
                yield (*prefix, name, "(summary)"), helps.get(name)


def _bilingual(text: str | None) -> bool:
    return bool(text) and bool(CJK.search(text)) and bool(LATIN.search(text)) and (
        CJK.search(text).start() < LATIN.search(text).start()
    )


def test_every_command_and_option_has_zh_and_en_help():
    missing = []
    for path, item in _commands(build_parser()):
        name = " ".join(path) or "huicui"
        if path and path[-1] == "(summary)":
            if not _bilingual(item):
                missing.append(f"{name}: {item!r}")
            continue
        if not _bilingual(item.description):
            missing.append(f"{name} (description): {item.description!r}")
        for action in item._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not _bilingual(action.help):
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}: "
                               f"{action.help!r}")
    assert not missing, "\n".join(missing)


def test_the_check_catches_english_only_text():
    assert not _bilingual("create a token")
    assert not _bilingual("仅中文")
    assert not _bilingual("token 令牌")  # English first
    assert _bilingual("创建令牌 / create a token")
