"""JSON bodies with a bounded nesting depth.

Python's json module recurses once per level: a body of a few hundred thousand '[' characters exhausts the
stack (RecursionError, a 500). No request of this API nests deeper than a handful of levels, so the body is
scanned first and a deeper one is refused with a 400 that says why.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON body is not valid {encoding}: {exc}") from exc
        if json_depth_exceeds(text):
            raise ParseError(f"JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        import io

        return super().parse(io.BytesIO(raw), media_type, parser_context)
