"""The project explains itself: no pointer leads nowhere.

``docs/architecture.md`` is the project's own account of its structure; no file may
send a reader to a document that is not in the project, and every path a document
names must exist.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return [ROOT / name for name in out if (ROOT / name).is_file()]


def test_architecture_document_exists_and_is_linked_from_the_readme():
    assert (ROOT / "docs" / "architecture.md").is_file()
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_no_file_cites_a_design_document_outside_the_project():
    here = Path(__file__).resolve()
    citing = [str(p.relative_to(ROOT)) for p in _tracked()
              if p != here and p.suffix in {".py", ".md", ".toml", ".js", ".json", ".html", ".cfg"}
              and "DESIGN.md" in p.read_text(encoding="utf-8", errors="replace")]
    assert not citing, "cite docs/architecture.md instead: " + ", ".join(citing)


# A path the docs name: a file under one of the project's folders, with an extension.
_PATH = re.compile(
    r"(?<![\w/.-])((?:core|verifier|plugins|tests|docs|config|bench)/[\w./-]+\.(?:py|md|toml|json|js|css|html))"
)


def test_every_path_a_document_names_exists():
    missing = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for path in _PATH.findall(doc.read_text(encoding="utf-8")):
            if not (ROOT / path).exists():
                missing.append(f"{doc.relative_to(ROOT)} → {path}")
    assert not missing, "\n".join(missing)


def test_every_relative_link_between_documents_resolves():
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} → {target}")
    assert not broken, "\n".join(broken)
