"""Errors the command line reports as one clear line and a non-zero exit."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class SotsError(Exception):
    """Base class: the CLI prints the message on one line and exits 1."""


class InputError(SotsError):
    """An input file is missing, malformed, or fails its schema.

    The message names the file, the column, the row and what was expected.
    """


class BuildError(SotsError):
    """A notebook or the book build failed; nothing was published."""


def refuse(problems: Sequence[str], prefix: str = "") -> None:
    """Raise InputError with the first of ``problems`` on one line and how many more there are; nothing if none."""
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(f"{prefix}{problems[0]}{more}")


def read_json(path: Path, missing: str, remedy: str) -> Any:
    """The parsed JSON file ``path``; InputError naming it if it is absent (``missing`` says why that matters) or not
    valid JSON (``remedy`` says what to do)."""
    if not path.is_file():
        raise InputError(f"{path}: {missing}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid JSON ({err}); {remedy}") from None


def parse_yaml(text: str, path: object) -> Any:
    """The YAML document ``text`` (read from ``path``); InputError naming the file and line of a syntax error."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise InputError(f"{path}{line}: not valid YAML ({getattr(err, 'problem', None) or err})") from None
