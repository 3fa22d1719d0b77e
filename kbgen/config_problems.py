"""Reporting on kbgen.toml: pydantic's validation errors turned into `Problem`s (message, hint,
dotted key and line), warnings with a did-you-mean for keys nothing reads, and the line of a
dotted key in the TOML text. The schema itself is in `kbgen.schema`, which uses this module
through `validate()`; nothing here knows the sections, so the model is always passed in.
"""
from __future__ import annotations

import copy
import difflib
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .errors import Problem

# --- reporting ------------------------------------------------------------------------------------

TYPE_NAMES = {"string_type": "str", "int_type": "int", "float_type": "number", "bool_type": "bool", "dict_type": "table",
              "model_type": "table", "list_type": "list", "tuple_type": "list", "int_from_float": "int"}


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def dotted(loc: tuple) -> str:
    """("tickets", "fields", 1, "name") → "tickets.fields[1].name" (union tags and "[key]" left out)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not (part.startswith("~") or part == "[key]"):
            text += ("." if text else "") + part
    return text


def _message(error: Any, file: str) -> tuple[str, str | None]:
    kind, value = error["type"], error.get("input")
    if kind == "kbgen":
        return error["ctx"]["message"], error["ctx"].get("hint") or None
    if kind == "bool_type":
        hint = "write true or false, without quotes" if isinstance(value, str) else None
        return f"must be true or false (got {value!r})", hint
    if kind == "missing":
        return "is required", f"add `{error['loc'][-1]} = …` to {file}"
    if kind in TYPE_NAMES:
        return f"expected {_article(TYPE_NAMES[kind])}, got {type(value).__name__} {value!r}", None
    return error["msg"], None


def problems_of(error: ValidationError, file: str, text: str | None = None) -> list[Problem]:
    found, seen = [], set()
    for item in error.errors(include_url=False):
        key = dotted(item["loc"])
        if key in seen:     # a wrong table key and its value: the key's problem says enough
            continue
        seen.add(key)
        message, hint = _message(item, file)
        found.append(Problem(file, key_line(text, key) if text and key else None, key or None, message, hint))
    return found


def _model_in(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """("model"|"dict"|"list", Model) when a field holds a section, tables of them or a list of them."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    if origin in (Union, types.UnionType):
        found = [m for m in (_model_in(a) for a in args if a is not type(None)) if m]
        return found[0] if found else None
    if origin is dict and args:
        inner = _model_in(args[1])
        return ("dict", inner[1]) if inner and inner[0] == "model" else None
    if origin is list and args:
        inner = _model_in(args[0])
        return ("list", inner[1]) if inner and inner[0] == "model" else None
    return None


def unknown_keys(raw: Any, model: type[BaseModel], prefix: str = "") -> list[tuple[str, str | None]]:
    """(dotted key, did-you-mean) for every key nothing reads, in every section."""
    if not isinstance(raw, dict):
        return []
    found: list[tuple[str, str | None]] = []
    known = model.model_fields
    for key, value in raw.items():
        here = f"{prefix}.{key}" if prefix else str(key)
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.75)
            found.append((here, close[0] if close else None))
            continue
        inner = _model_in(known[key].annotation)
        if inner is None:
            continue
        kind, section = inner
        if kind == "model":
            found += unknown_keys(value, section, here)
        elif kind == "dict" and isinstance(value, dict):
            for name, item in value.items():
                found += unknown_keys(item, section, f"{here}.{name}")
        elif kind == "list" and isinstance(value, list):
            for index, item in enumerate(value):
                found += unknown_keys(item, section, f"{here}[{index}]")
    return found


def _where_documented(key: str, api_sections: tuple[str, ...]) -> str:
    return "docs/API.md" if key.split(".")[0].split("[")[0] in api_sections else "the README's configuration reference"


def unknown_key_problems(raw: dict, file: str, text: str | None, model: type[BaseModel],
                         api_sections: tuple[str, ...] = ()) -> list[Problem]:
    """A warning for every key `model` does not read; `api_sections` are documented in docs/API.md."""
    return [Problem(file, key_line(text, key) if text else None, key, "unknown option, ignored",
                    f"did you mean `{close}`?" if close
                    else f"check the spelling against {_where_documented(key, api_sections)}",
                    "warning")
            for key, close in unknown_keys(raw, model)]


def _drop(raw: Any, loc: tuple) -> None:
    """Removes the value at `loc` (a pydantic error location) from the nested dicts/lists of `raw`."""
    parts = [p for p in loc if not (isinstance(p, str) and (p.startswith("~") or p == "[key]"))]
    node = raw
    for part in parts[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict):
        node.pop(parts[-1], None) if parts else None
    elif isinstance(node, list) and isinstance(parts[-1], int) and parts[-1] < len(node):
        node[parts[-1]] = None


def without_errors(raw: dict, error: ValidationError) -> dict:
    """A copy of `raw` without the values `error` complains about, so that validating it again gives
    the defaults in their place and the other checks still run."""
    cleaned = copy.deepcopy(raw)
    for item in error.errors():
        loc = item["loc"]
        # a missing key, or a problem of the table as a whole: leave out the table that holds it
        cut = loc[:-1] if item["type"] in ("missing", "kbgen") and len(loc) > 1 and not _leaf(raw, loc) else loc
        _drop(cleaned, cut)
    # list items left out become None: remove them
    for section in ("tickets",):
        table = cleaned.get(section)
        if isinstance(table, dict):
            for name in ("departments", "fields"):
                if isinstance(table.get(name), list):
                    table[name] = [item for item in table[name] if item is not None]
    return cleaned


def _leaf(raw: Any, loc: tuple) -> bool:
    node = raw
    for part in [p for p in loc if not (isinstance(p, str) and (p.startswith("~") or p == "[key]"))]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return True


# --- lines ------------------------------------------------------------------------------------------

TABLE_HEADER = re.compile(r"^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$")


def key_line(text: str, dotted: str) -> int | None:
    """The line of `text` (TOML) that sets `dotted` ("api.database_url", "tickets.fields[1].name",
    "chat.hours.mon"): the key in its table (the n-th `[[table]]` for `[n]`), else the table's
    header, else where its parent is set."""
    index = re.search(r"\[(\d+)\]", dotted)
    wanted = int(index.group(1)) if index else 0
    parts = re.sub(r"\[\d+\]", "", dotted).split(".")
    table, key = ".".join(parts[:-1]), parts[-1]
    current, header_line, seen, own = "", None, -1, -1
    for number, line in enumerate(text.splitlines(), 1):
        header = TABLE_HEADER.match(line)
        if header:
            current = ".".join(part.strip().strip('"') for part in header.group(1).split("."))
            if current == table and line.lstrip().startswith("[["):
                seen += 1
            if current == ".".join(parts):
                own += 1
                if header_line is None and own == (wanted if dotted.endswith("]") else 0):
                    header_line = number
        elif current == table and seen <= wanted and re.match(rf'^\s*"?{re.escape(key)}"?\s*=', line):
            if seen in (-1, wanted):
                return number
    if header_line is None and len(parts) > 1:
        return key_line(text, re.sub(r"\.[^.]*$", "", dotted))
    return header_line

