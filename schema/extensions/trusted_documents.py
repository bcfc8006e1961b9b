"""Trusted documents (persisted queries): a partner restricted to them can only
run documents Dinsos has registered, named by the SHA-256 of their text.

The store is a JSON file `{"sha256:<hex>": "<query text>", ...}`. A request
names a document with `extensions.persistedQuery.sha256Hash` (Apollo's format)
or `extensions.documentId` (`sha256:<hex>`). Whether a caller is restricted is
decided by `required(context)`, given the request's GraphQL context.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

PREFIX = "sha256:"


class TrustedDocumentFileError(ValueError):
    """The trusted-document file cannot be read or does not check out."""


class UntrustedDocument(GraphQLError):
    pass


def document_id(query: str) -> str:
    return PREFIX + hashlib.sha256(query.encode()).hexdigest()


def normalize_id(value: str) -> str:
    value = value.strip().lower()
    return value if value.startswith(PREFIX) else PREFIX + value


class TrustedDocuments:
    def __init__(self, documents: Mapping[str, str] | None = None) -> None:
        self._documents: dict[str, str] = {}
        for doc_id, query in (documents or {}).items():
            if document_id(query) != normalize_id(doc_id):
                raise TrustedDocumentFileError(
                    f"Document {doc_id} is not the SHA-256 of its text: register it again"
                    " so that its id is computed from the text."
                )
            self._documents[normalize_id(doc_id)] = query

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TrustedDocumentFileError(
                f"{path}: cannot read trusted documents ({exc})."
            ) from exc
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise TrustedDocumentFileError(
                f"{path}: expected a JSON object of document id -> query text."
            )
        try:
            return cls(data)
        except TrustedDocumentFileError as exc:
            raise TrustedDocumentFileError(f"{path}: {exc}") from exc

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self._documents, indent=2, sort_keys=True), encoding="utf-8")

    def add(self, query: str) -> str:
        doc_id = document_id(query)
        self._documents[doc_id] = query
        return doc_id

    def get(self, doc_id: str) -> str | None:
        return self._documents.get(normalize_id(doc_id))

    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and normalize_id(doc_id) in self._documents


def requested_id(extensions: Mapping[str, Any] | None) -> str | None:
    if not extensions:
        return None
    persisted = extensions.get("persistedQuery")
    if isinstance(persisted, Mapping) and isinstance(persisted.get("sha256Hash"), str):
        return str(persisted["sha256Hash"])
    doc_id = extensions.get("documentId")
    return doc_id if isinstance(doc_id, str) else None


class TrustedDocumentsExtension(SchemaExtension):
    def __init__(self, store: TrustedDocuments, required: Callable[[Any], bool]) -> None:
        super().__init__()
        self.store = store
        self.required = required

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        doc_id = requested_id(ctx.operation_extensions)
        if doc_id is not None:
            text = self.store.get(doc_id)
            if text is None:
                raise UntrustedDocument(
                    f"Unknown document id {doc_id}: only documents registered with Dinsos"
                    " can be run by id."
                )
            if ctx.query and ctx.query != text:
                raise UntrustedDocument(f"The query text sent does not match document {doc_id}.")
            ctx.query = text
        elif self.required(ctx.context):
            raise UntrustedDocument(
                "This caller may only run trusted documents: send"
                " extensions.persistedQuery.sha256Hash (or extensions.documentId) of a"
                " registered document instead of query text."
            )
        yield


def trusted_documents(
    store: TrustedDocuments, required: Callable[[Any], bool]
) -> Callable[[], SchemaExtension]:
    return partial(TrustedDocumentsExtension, store, required)


__all__ = [
    "TrustedDocumentFileError",
    "TrustedDocuments",
    "TrustedDocumentsExtension",
    "UntrustedDocument",
    "document_id",
    "normalize_id",
    "requested_id",
    "trusted_documents",
]
