"""The layout a newcomer reads: module and function sizes, and the README's map of the tree."""

from __future__ import annotations

import ast
import re
import subprocess

import pytest

from tests.conftest import ROOT

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _source_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    # migrations are history: a released one is never edited, whatever its length
    return [f for f in out.split() if not f.startswith(("tests/", "bench/", "store/migrations/versions/"))
            and (ROOT / f).exists()]


def test_no_module_over_400_lines() -> None:
    long = {f: n for f in _source_files() if (n := len((ROOT / f).read_text(encoding="utf-8").splitlines()))
            > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_over_60_lines() -> None:
    long = []
    for f in _source_files():
        for node in ast.walk(ast.parse((ROOT / f).read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{f}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def _layout_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Where things are", 1)[1]
    return section.split("```", 2)[1]


def test_every_path_in_the_readme_layout_exists() -> None:
    named = re.findall(r"^\s*([\w./-]+/?)\s", _layout_block(), re.M)
    missing = [p for p in named if not (ROOT / p).exists()]
    assert named
    assert missing == []


def test_every_package_and_top_level_folder_is_in_the_readme_layout() -> None:
    block = _layout_block()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    top = {f.split("/")[0] + "/" for f in tracked if "/" in f and not f.startswith(".")}
    packages = {str(p.parent.relative_to(ROOT)) + "/" for p in ROOT.glob("*/*/__init__.py")
                if not str(p).startswith(str(ROOT / "tests")) and ".venv" not in str(p)}
    unnamed = sorted(name for name in top | packages if not re.search(rf"(^|\s){re.escape(name)}", block, re.M)
                     and not re.search(rf"(^|\s){re.escape(name.split('/')[-2] + '/')}", block, re.M))
    assert unnamed == []


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))])
def test_every_relative_link_resolves(doc: str) -> None:
    path = ROOT / doc if doc == "README.md" else ROOT / "docs" / doc
    text = path.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        if not (path.parent / target).exists():
            broken.append(target)
    assert broken == []


EXAMPLE_FILES = {"rules/demo.yaml"}  # files the docs invent to show a command on


@pytest.mark.parametrize("doc", ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))])
def test_every_file_the_docs_name_exists(doc: str) -> None:
    """A moved or deleted module must take its mentions in the docs with it."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    named = re.findall(r"`([\w.-]+/[\w./-]*\.(?:py|yaml|json|html|md|mjs|toml|po))`", text)  # relative paths
    missing = sorted({p for p in named if not (ROOT / p).exists() and p not in EXAMPLE_FILES})
    assert missing == []
