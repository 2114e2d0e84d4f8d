"""The registers (``claims.yml``, ``editions.yml``) checked against the JSON Schemas the package ships, one way.

Each register's schema says what every field must be; this module runs it and turns the first error, in the
document's order, into one line naming the file, the entry and the field. The register supplies only how an entry
is named (``claim F2``, ``edition 2 ('2024-25')``), so both registers' errors read alike.

A schema opts into saying what was expected by describing a value: where the failing value's schema (or, for a
missing field, the field's) has a ``description``, the line reads ``field 'x': expected <description>, got <value>``,
and an unknown field in a described mapping reads ``expected only the fields [...]``. Where a schema gives no
description, the line gives jsonschema's own words.
"""

from __future__ import annotations

import json
import math
import reprlib
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from sots.errors import InputError

_SHORT = reprlib.Repr()  # a value quoted in an error stays short enough for one line
_SHORT.maxstring = _SHORT.maxother = 80


@cache
def _cached(name: str) -> str:
    return resources.files("sots").joinpath(name).read_text()


def load(name: str) -> dict:
    """The JSON Schema ``name`` (a file shipped in the sots package), parsed afresh so callers may not share edits."""
    return json.loads(_cached(name))


def got(value: Any) -> str:
    """A value as an error line quotes it: ``nothing`` for a missing or empty value, else its short repr."""
    return "nothing" if value is None else _SHORT.repr(value)


def _field(path: list) -> str:
    return ".".join(map(str, path))


def problem(error, rest: list) -> str:
    """What is wrong, for a jsonschema ``error`` at ``rest`` (its path inside the entry the register names)."""
    described = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "required":
        missing = error.message.split("'")[1]  # jsonschema: "'<name>' is a required property"
        wanted = error.schema.get("properties", {}).get(missing, {}).get("description")
        if wanted:
            return f"field '{_field([*rest, missing])}': expected {wanted}, got nothing"
        return f"missing field '{_field([*rest, missing])}'"
    if error.validator == "additionalProperties":
        if not described:
            return error.message
        known = list(error.schema.get("properties", {}))
        extra = next(k for k in error.instance if k not in known)
        return f"field '{_field([*rest, extra])}': expected only the fields {known}, got {got(extra)}"
    if described:
        where = f"field '{_field(rest)}': " if rest else ""
        return f"{where}expected {described}, got {got(error.instance)}"
    return f"field '{_field(rest) or 'entry'}': {error.message}"


def _document_order(error) -> tuple:
    """Errors sorted as a reader meets them: by path (list positions as numbers), then by kind of check."""
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path], error.validator


@cache
def _validator_class() -> type:
    """Draft 2020-12, with a number that must be finite: YAML's ``.nan`` and ``.inf`` and JSON's ``NaN`` and
    ``Infinity`` read as floats, which compare false with everything, so a NaN tolerance or value would pass every
    check unseen. No register or golden file means a number that is not finite."""
    import jsonschema

    base = jsonschema.Draft202012Validator

    def finite(checker, instance: Any) -> bool:
        return base.TYPE_CHECKER.is_type(instance, "number") and not (
            isinstance(instance, float) and not math.isfinite(instance))

    return jsonschema.validators.extend(base, type_checker=base.TYPE_CHECKER.redefine("number", finite))


def check(doc: Any, schema_name: str, source: Any, locate: Callable[[Any, Any], str]) -> None:
    """Check ``doc`` against the schema ``schema_name``; InputError ``<source>: <locate(doc, first error)>``.

    ``locate`` names the entry the error is in and says what is wrong, usually through :func:`problem`. Every number
    must be finite (:func:`_validator_class`).
    """
    validator = _validator_class()(load(schema_name))
    errors = sorted(validator.iter_errors(doc), key=_document_order)
    if errors:
        raise InputError(f"{source}: {locate(doc, errors[0])}")
