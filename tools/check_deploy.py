"""Check docs/deploy.md and deploy/ against the code: commands exist, settings exist, files parse.

python tools/check_deploy.py        # exit 1 with one line per problem
"""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "deploy.md"
DEPLOY = ROOT / "deploy"


def settings_names() -> set[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from reelforge.config import Settings

    return {f"REELFORGE_{name.upper()}" for name in Settings.model_fields}


def commands_in_doc(text: str) -> list[list[str]]:
    """`reelforge ...` invocations in the guide's shell blocks and inline code."""
    found: list[list[str]] = []
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S) + re.findall(r"`(reelforge [^`]+)`", text)
    for block in blocks:
        for line in block.splitlines():
            line = line.split("#", 1)[0]
            # a command word: first on the line, after && / sudo / `compose exec SERVICE`, or a venv's bin/
            pattern = r"(?:^\s*|&&\s*|sudo\s+|exec \w+\s+|bin/)reelforge ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)"
            match = re.search(pattern, line)
            if match:
                found.append(shlex.split(match.group(1)))
    return found


def check_command(words: list[str]) -> str | None:
    """None when `reelforge WORDS --help` answers (dropping a trailing argument that is not a command)."""
    for n in (len(words), 1):
        probe = subprocess.run(
            [sys.executable, "-m", "reelforge", *words[:n], "--help"],
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
            timeout=60,
        )
        if probe.returncode == 0:
            return None
    return f"command `reelforge {' '.join(words)}` does not exist"


def main() -> int:
    problems: list[str] = []
    names = settings_names()
    text = DOC.read_text(encoding="utf-8")
    files = [DOC, *sorted(DEPLOY.iterdir())]
    for path in files:
        for name in sorted(set(re.findall(r"REELFORGE_[A-Z0-9_]+", path.read_text(encoding="utf-8")))):
            if name not in names:
                problems.append(f"{path.relative_to(ROOT)}: {name} is not a setting")
    for words in {tuple(w) for w in commands_in_doc(text)}:
        problem = check_command(list(words))
        if problem:
            problems.append(f"docs/deploy.md: {problem}")
    for link in re.findall(r"\]\((\.\./[^)#]+)\)", text):
        if not (DOC.parent / link).resolve().exists():
            problems.append(f"docs/deploy.md links to missing {link}")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose.get("services", {})
    for needed in ("db", "redis", "minio", "api", "worker"):
        if needed not in services:
            problems.append(f"deploy/compose.yaml: no {needed} service")
    for name in ("api", "worker"):
        command = services.get(name, {}).get("command", [])
        if command[:1] != ["reelforge"] or check_command(command[1:2]):
            problems.append(f"deploy/compose.yaml: {name} runs {command}, not a reelforge command")
    for unit in sorted(DEPLOY.glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(unit)
        start = parser.get("Service", "ExecStart", fallback="")
        words = shlex.split(start)
        if not words or not words[0].endswith("/reelforge") or check_command(words[1:2]):
            problems.append(f"{unit.relative_to(ROOT)}: ExecStart {start!r} is not a reelforge command")
    for problem in problems:
        print(problem)
    if not problems:
        print(f"ok: {DOC.relative_to(ROOT)} and {len(files) - 1} files in deploy/ agree with the code")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
