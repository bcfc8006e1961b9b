from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from schema.extensions import (
    MASKED_MESSAGE,
    ProtectionLimits,
    TrustedDocumentFileError,
    TrustedDocuments,
    check_batch_size,
    document_id,
    protection_extensions,
)
from schema.extensions.batch_size import BatchTooLarge


class Refused(Exception):
    pass


@strawberry.type
class Person:
    name: str

    @strawberry.field
    def friends(self, first: int = 10) -> list[Person]:
        return [Person(name=f"{self.name}-{i}") for i in range(min(first, 2))]


@strawberry.type
class Query:
    @strawberry.field
    def people(self, first: int = 10) -> list[Person]:
        return [Person(name="a")][:first]

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret stack detail")

    @strawberry.field
    def refused(self) -> str:
        raise Refused("you may not")


LIMITS = ProtectionLimits(max_depth=3, max_tokens=60, max_aliases=2, max_batch=5)


def make_schema(mode: str = "dev", **kwargs: Any) -> strawberry.Schema:
    return strawberry.Schema(
        Query,
        extensions=[ParserCache, ValidationCache, *protection_extensions(mode, LIMITS, **kwargs)],
    )


def run(
    schema: strawberry.Schema,
    query: str | None,
    variables: dict[str, Any] | None = None,
    extensions: dict[str, Any] | None = None,
    context: Any = None,
) -> tuple[Any, list[str]]:
    result = schema.execute_sync(
        query, variable_values=variables, operation_extensions=extensions, context_value=context
    )
    return result.data, [e.message for e in result.errors or []]


def test_depth_within_limit_passes_and_beyond_is_refused() -> None:
    schema = make_schema()
    assert run(schema, "{ people { friends { name } } }")[1] == []
    data, errors = run(schema, "{ people { friends { friends { friends { name } } } } }")
    assert data is None
    assert any("exceeds maximum operation depth" in e for e in errors)


def test_aliases_limit() -> None:
    schema = make_schema()
    assert run(schema, "{ a: people { name } b: people { name } }")[1] == []
    errors = run(schema, "{ a: people { name } b: people { name } c: people { name } }")[1]
    assert errors == ["3 aliases found. Allowed: 2"]


def test_token_limit() -> None:
    schema = make_schema()
    assert run(schema, "{ people { name } }")[1] == []
    huge = "{ " + " ".join(f"f{i}: __typename" for i in range(40)) + " }"
    errors = run(schema, huge)[1]
    assert len(errors) == 1
    assert "more than 60 tokens" in errors[0]


def test_batch_size_literal() -> None:
    schema = make_schema()
    assert run(schema, "{ people(first: 5) { name } }")[1] == []
    errors = run(schema, "{ people(first: 6) { name } }")[1]
    assert errors and "more than 5" in errors[0]
    nested = run(schema, "{ people { friends(first: 50) { name } } }")[1]
    assert nested and "more than 5" in nested[0]


def test_batch_size_variable_and_default() -> None:
    schema = make_schema()
    query = "query Q($n: Int!) { people(first: $n) { name } }"
    assert run(schema, query, {"n": 5})[1] == []
    data, errors = run(schema, query, {"n": 500})
    assert data is None and "more than 5" in errors[0]
    with_default = "query Q($n: Int = 99) { people(first: $n) { name } }"
    assert "more than 5" in run(schema, with_default)[1][0]
    assert run(schema, with_default, {"n": 1})[1] == []


def test_check_batch_size_for_resolvers() -> None:
    assert check_batch_size(5, 5) == 5
    assert check_batch_size(None, 5) is None
    with pytest.raises(BatchTooLarge):
        check_batch_size(6, 5, "limit")


def test_introspection_allowed_in_dev_refused_in_production() -> None:
    query = "{ __schema { queryType { name } } }"
    assert run(make_schema("dev"), query)[1] == []
    errors = run(make_schema("production"), query)[1]
    assert errors and "introspection" in errors[0].lower()
    assert run(make_schema("production"), "{ __typename }")[1] == []


def test_errors_masked_in_every_mode() -> None:
    assert run(make_schema("dev"), "{ boom }")[1] == [MASKED_MESSAGE]
    assert run(make_schema("production"), "{ boom }")[1] == [MASKED_MESSAGE]
    safe = make_schema("production", safe_errors=(Refused,))
    assert run(safe, "{ refused }")[1] == ["you may not"]
    # validation errors are meant for the caller and stay readable
    assert "Cannot query field" in run(safe, "{ nope }")[1][0]


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        protection_extensions("staging")


QUERY = "{ people { name } }"


def test_trusted_documents_required_for_some_callers() -> None:
    store = TrustedDocuments()
    doc_id = store.add(QUERY)
    schema = make_schema("production", trusted=store, trusted_required=lambda ctx: ctx == "partner")
    by_id = {"persistedQuery": {"version": 1, "sha256Hash": doc_id.removeprefix("sha256:")}}
    assert run(schema, None, extensions=by_id, context="partner") == (
        {"people": [{"name": "a"}]},
        [],
    )
    assert run(schema, None, extensions={"documentId": doc_id}, context="partner")[1] == []
    data, errors = run(schema, QUERY, context="partner")
    assert data is None and "only run trusted documents" in errors[0]
    assert run(schema, QUERY, context="staff")[1] == []
    unknown = {"documentId": document_id("{ boom }")}
    assert "Unknown document id" in run(schema, None, extensions=unknown, context="staff")[1][0]
    mismatch = run(schema, "{ boom }", extensions={"documentId": doc_id}, context="staff")[1]
    assert "does not match" in mismatch[0]


def test_trusted_documents_file_round_trip(tmp_path: Path) -> None:
    store = TrustedDocuments()
    doc_id = store.add(QUERY)
    path = tmp_path / "documents.json"
    store.save(path)
    loaded = TrustedDocuments.load(path)
    assert loaded.get(doc_id) == QUERY
    assert doc_id in loaded and len(loaded) == 1
    path.write_text('{"sha256:00": "{ people { name } }"}')
    with pytest.raises(TrustedDocumentFileError, match="not the SHA-256"):
        TrustedDocuments.load(path)
    path.write_text("[1, 2]")
    with pytest.raises(TrustedDocumentFileError, match="JSON object"):
        TrustedDocuments.load(path)


def test_rule_classes_are_shared_so_validation_cache_hits() -> None:
    factories = protection_extensions("production", LIMITS)
    first = [f() for f in factories]
    second = [f() for f in factories]
    rules = [getattr(e, "validation_rules", None) for e in first]
    assert rules == [getattr(e, "validation_rules", None) for e in second]


def test_trusted_documents_refusal_on_the_async_path() -> None:
    store = TrustedDocuments()
    doc_id = store.add(QUERY)
    schema = make_schema("production", trusted=store, trusted_required=lambda _ctx: True)
    refused = asyncio.run(schema.execute(QUERY))
    assert refused.data is None
    assert refused.errors and "only run trusted documents" in refused.errors[0].message
    allowed = asyncio.run(schema.execute(None, operation_extensions={"documentId": doc_id}))
    assert allowed.errors is None and allowed.data == {"people": [{"name": "a"}]}
