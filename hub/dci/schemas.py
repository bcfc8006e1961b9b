"""Validation of DCI requests and responses against the specification's own
JSON schemas (the unmodified copy of `spdci/standards`, `src/`).

Every YAML file under `src/` is loaded into a `referencing.Registry` keyed by
its `file://` URI, so the relative `$ref`s resolve as written. The schemas are
OpenAPI 3.0 Schema Objects, validated with Draft 4 (`$ref` siblings ignored,
`example` and `format: int32` inert) and a format checker (`date-time` via
rfc3339-validator). A path's request body and responses are validated with the
schema the OpenAPI document gives for them (its `allOf` header + `action` enum,
its `oneOf` message), reached by JSON pointer into the document.

The specification contradicts itself in places (README "DCI Social Registry
API", inconsistencies). `PATCHES` lists the local fixes applied in memory, never
to the copy; each names the inconsistency it works around, and each has a test
showing the unpatched schema refusing a valid message.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT4

#: where the copy of the specification lives in a checkout (beside the repository)
DEFAULT_SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "standards" / "dci"

SOCIAL_API = "registry/social_api_v1.0.0.yaml"
CORE_API = "registry/registry_core_api_v1.0.0.yaml"


@dataclass(frozen=True)
class Patch:
    file: str
    """the file under src/ it changes (in memory)"""
    inconsistency: int
    """its number in the README's list"""
    why: str
    apply: Callable[[Any], None]


def _ibr_to_social(doc: Any) -> None:
    schemas = doc["components"]["schemas"]
    for name in ("TxnStatusRequest", "TxnStatusResponse"):
        ref = schemas[name]["$ref"]
        if ref.startswith("ibr/"):
            schemas[name]["$ref"] = "social/" + ref.removeprefix("ibr/")


def _one_of_to_any_of(doc: Any) -> None:
    doc["anyOf"] = doc.pop("oneOf")


PATCHES: tuple[Patch, ...] = (
    Patch(
        SOCIAL_API,
        1,
        "TxnStatusRequest/Response point at ibr/, which does not exist; the files are in social/",
        _ibr_to_social,
    ),
    Patch(
        "common/schema/AttributeValue.yaml",
        3,
        "oneOf [string, integer, number, ...]: every integer is also a number, so "
        "an integer value matches two branches and fails oneOf",
        _one_of_to_any_of,
    ),
    Patch(
        "registry/social/RegistryQueries.yaml",
        4,
        "oneOf [ExpTemplate, IdentifierTypeValue, ...]: neither object requires a "
        "field and an identifier's value may be an object, so every ExpTemplate (its "
        "own example too) matches both and fails oneOf; the query's shape is checked "
        "against query_type by the hub instead (hub.dci.search)",
        _one_of_to_any_of,
    ),
    Patch(
        "registry/social/TxnStatusRequest.yaml",
        17,
        "attribute_value oneOf [TransactionId, ReferenceIdList, CorrelationId]: both "
        "ids are strings, so any transaction or correlation id matches two branches",
        lambda doc: _one_of_to_any_of(
            doc["properties"]["txnstatus_request"]["properties"]["attribute_value"]
        ),
    ),
)


def _src_uri(src: Path, relative: str) -> str:
    return (src / relative).resolve().as_uri()


def load_documents(spec_dir: Path) -> dict[str, Any]:
    """Every YAML document under `spec_dir/src`, keyed by its path relative to src/."""
    src = spec_dir / "src"
    if not src.is_dir():
        raise FileNotFoundError(f"no DCI specification at {spec_dir} (expected {src})")
    docs: dict[str, Any] = {}
    for path in sorted(src.rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            docs[path.relative_to(src).as_posix()] = yaml.safe_load(handle)
    return docs


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(
        quote(p.replace("~", "~0").replace("/", "~1"), safe="~@:") for p in parts
    )


class DciSchemas:
    """The specification's schemas, ready to validate messages."""

    def __init__(
        self, spec_dir: Path = DEFAULT_SPEC_DIR, without: frozenset[int] = frozenset()
    ) -> None:
        """`without`: the patches (by inconsistency number) to leave out."""
        self.spec_dir = spec_dir
        self.src = spec_dir / "src"
        docs = load_documents(spec_dir)
        for patch in PATCHES:
            if patch.inconsistency not in without:
                patch.apply(docs[patch.file])
        self.documents = docs
        self.registry: Registry[Any] = Registry().with_resources(
            (_src_uri(self.src, name), DRAFT4.create_resource(doc))
            for name, doc in docs.items()
            if isinstance(doc, dict)
        )
        self._format = FormatChecker()

    # --- locating schemas ---------------------------------------------------
    def _api(self, path: str) -> tuple[str, Mapping[str, Any]]:
        for api in (SOCIAL_API, CORE_API):
            doc = self.documents[api]
            if path in doc.get("paths", {}):
                return api, doc["paths"][path]["post"]
        raise KeyError(f"the specification has no path {path}")

    def request_ref(self, path: str) -> str:
        """The URI of the JSON request body schema of `POST path`."""
        api, _ = self._api(path)
        return _src_uri(self.src, api) + _pointer(
            "paths", path, "post", "requestBody", "content", "application/json", "schema"
        )

    def response_ref(self, path: str, status: int | str = "default") -> str:
        """The URI of the JSON schema of `POST path`'s answer with `status`
        (`default` for anything the path does not list), following the
        OpenAPI Response Object `$ref`s to the schema itself."""
        api, operation = self._api(path)
        responses = operation["responses"]
        key = str(status) if str(status) in responses else "default"
        base, doc = api, responses[key]
        pointer: tuple[str, ...] = ("paths", path, "post", "responses", key)
        while "$ref" in doc:
            target, _, fragment = str(doc["$ref"]).partition("#")
            if target:
                base = posixpath.normpath(posixpath.join(posixpath.dirname(base), target))
            parts = tuple(p for p in fragment.split("/") if p)
            doc = self.documents[base]
            for part in parts:
                doc = doc[part.replace("~1", "/").replace("~0", "~")]
            pointer = parts
        return _src_uri(self.src, base) + _pointer(
            *pointer, "content", "application/json", "schema"
        )

    def component_ref(self, relative: str) -> str:
        """The URI of a schema file under src/, e.g. `registry/social/SearchRequest.yaml`."""
        return _src_uri(self.src, relative)

    # --- validating ---------------------------------------------------------
    def validator(self, ref: str) -> Draft4Validator:
        return _validator(self, ref)

    def errors(self, ref: str, instance: Any) -> list[ValidationError]:
        return sorted(self.validator(ref).iter_errors(instance), key=lambda e: list(e.path))

    def problems(self, ref: str, instance: Any) -> list[str]:
        """What is wrong with `instance`, one line each (empty when valid)."""
        return [_describe(e) for e in self.errors(ref, instance)]

    def validate_request(self, path: str, body: Any) -> list[str]:
        return self.problems(self.request_ref(path), body)

    def validate_response(self, path: str, body: Any, status: int | str = "default") -> list[str]:
        return self.problems(self.response_ref(path, status), body)


_VALIDATORS: dict[tuple[int, str], Draft4Validator] = {}


def _validator(schemas: DciSchemas, ref: str) -> Draft4Validator:
    key = (id(schemas), ref)
    found = _VALIDATORS.get(key)
    if found is None:
        found = Draft4Validator(
            {"$ref": ref}, registry=schemas.registry, format_checker=schemas._format
        )
        _VALIDATORS[key] = found
    return found


def _describe(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    return f"{where}: {_leaf(error).message}"


def _leaf(error: ValidationError) -> ValidationError:
    """The most specific cause of a oneOf/anyOf failure, for a readable line."""
    best = error
    for sub in _walk(error):
        if len(sub.absolute_path) > len(best.absolute_path):
            best = sub
    return best


def _walk(error: ValidationError) -> Iterator[ValidationError]:
    for sub in error.context or ():
        yield sub
        yield from _walk(sub)


@cache
def schemas_at(spec_dir: Path = DEFAULT_SPEC_DIR) -> DciSchemas:
    """The patched schemas of the copy in `spec_dir`, loaded once per process."""
    return DciSchemas(spec_dir)


__all__ = [
    "CORE_API",
    "DEFAULT_SPEC_DIR",
    "PATCHES",
    "SOCIAL_API",
    "DciSchemas",
    "Patch",
    "load_documents",
    "schemas_at",
]
