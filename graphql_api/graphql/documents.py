"""Trusted documents (persisted operations), as frontends send them.

Two ways for a client to send an id instead of the document:

- `documentId`: a document registered ahead of time, from a manifest the frontend's build emits
  (graphql-codegen's client preset with `persistedDocuments`: `persisted-documents.json`, an object of
  id -> document text), deployed with the service and named by GRAPHQL_TRUSTED_DOCUMENTS. An id may carry
  the `sha256:` prefix of the GraphQL-over-HTTP persisted documents proposal.
- Apollo's automatic persisted queries: `extensions.persistedQuery = {version: 1, sha256Hash}`. A hash the
  service does not know is answered with the message `PersistedQueryNotFound` (what Apollo's link looks
  for: it then sends the hash with the document, which is checked against the hash and remembered, in a
  bounded per-process cache). The code is BAD_USER_INPUT: SPEC section 5's codes are a closed set.

With GRAPHQL_TRUSTED_DOCUMENTS_ONLY=true the service runs the manifest's documents and nothing else: no
document is registered through APQ, and a document sent as text runs only when it is one of the manifest's
(a validation rule compares the parsed document, so HTTP and WebSocket alike). Anything else is refused with
BAD_USER_INPUT before execution, costing no DynamoDB request.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphql import DocumentNode, GraphQLError, ValidationContext, ValidationRule, parse, print_ast

from graphql_api.errors import BadUserInput
from graphql_api.settings import Settings, SettingsError

PERSISTED_QUERY_NOT_FOUND = "PersistedQueryNotFound"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryNotFound(BadUserInput):
    def __init__(self) -> None:
        super().__init__(None, PERSISTED_QUERY_NOT_FOUND)


class ManifestError(ValueError):
    """A trusted documents manifest that cannot be used (the message names the problem)."""


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalized(document: DocumentNode) -> str:
    """The document as printed from its syntax tree: the same for texts differing in spacing or commas only."""
    return print_ast(document)


def read_manifest(path: Path) -> dict[str, str]:
    """A manifest file: a JSON object of document id -> document text (TrustedDocuments parses the texts)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ManifestError(f"{path} cannot be read as JSON: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ManifestError(f"{path} must be a JSON object of document id -> document text")
    return data


class TrustedDocuments:
    def __init__(self, manifest: Mapping[str, str], *, only_trusted: bool, apq_cache_size: int) -> None:
        if only_trusted and not manifest:
            raise ManifestError("only trusted documents are accepted, but the manifest holds none")
        self.only_trusted = only_trusted
        self._by_id = {_bare(document_id): text for document_id, text in manifest.items()}
        self._by_id.update({sha256_of(text): text for text in manifest.values()})  # APQ asks by the text's hash
        self.trusted = frozenset(normalized(_parsed(document_id, text)) for document_id, text in manifest.items())
        self._remembered: OrderedDict[str, str] = OrderedDict()
        self._capacity = apq_cache_size

    def resolve(self, operation: dict[str, Any]) -> dict[str, Any]:
        """The operation with its `query` filled in from `documentId` or an APQ hash (unchanged without either)."""
        document_id = operation.get("documentId")
        if document_id is not None:
            if not isinstance(document_id, str):
                raise BadUserInput("documentId", "documentId must be a string")
            text = self._by_id.get(_bare(document_id))
            if text is None:
                raise PersistedQueryNotFound()
            return {**operation, "query": text}
        extensions = operation.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None:
            return operation
        return {**operation, "query": self._automatic(persisted, operation.get("query"))}

    def _automatic(self, persisted: Any, query: Any) -> str:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise BadUserInput("extensions", "extensions.persistedQuery must be {version: 1, sha256Hash}")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise BadUserInput("extensions", "extensions.persistedQuery.sha256Hash must be 64 lower-case hex digits")
        known = self._by_id.get(digest) or self._remembered.get(digest)
        if query is None:
            if known is None:
                raise PersistedQueryNotFound()
            self._touch(digest)
            return known
        if not isinstance(query, str) or sha256_of(query) != digest:
            raise BadUserInput("extensions", "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query")
        if known is None and not self.only_trusted:
            self._remember(digest, query)
        return query

    def _touch(self, digest: str) -> None:
        if digest in self._remembered:
            self._remembered.move_to_end(digest)

    def _remember(self, digest: str, query: str) -> None:
        self._remembered[digest] = query
        if len(self._remembered) > self._capacity:
            self._remembered.popitem(last=False)

    def validation_rule(self) -> type[ValidationRule]:
        """A rule refusing every document that is not one of the manifest's (for GRAPHQL_TRUSTED_DOCUMENTS_ONLY)."""
        trusted = self.trusted

        class OnlyTrustedDocuments(ValidationRule):
            def __init__(self, context: ValidationContext) -> None:
                super().__init__(context)
                if normalized(context.document) not in trusted:
                    context.report_error(
                        GraphQLError(
                            "only trusted documents are accepted here: send a registered documentId "
                            "(or the text of a registered document)"
                        )
                    )

        return OnlyTrustedDocuments


def trusted_documents(settings: Settings) -> TrustedDocuments:
    """The service's trusted documents, from GRAPHQL_TRUSTED_DOCUMENTS; a manifest that cannot be used stops it."""
    try:
        path = settings.graphql_trusted_documents
        manifest = read_manifest(Path(path)) if path else {}
        return TrustedDocuments(
            manifest,
            only_trusted=settings.graphql_trusted_documents_only,
            apq_cache_size=settings.graphql_apq_cache_size,
        )
    except ManifestError as error:
        name = "GRAPHQL_TRUSTED_DOCUMENTS" if settings.graphql_trusted_documents else "GRAPHQL_TRUSTED_DOCUMENTS_ONLY"
        raise SettingsError(f"{name}: {error}") from None


def _parsed(document_id: str, text: str) -> DocumentNode:
    try:
        return parse(text)
    except GraphQLError as error:
        raise ManifestError(f"document {document_id} does not parse: {error.message}") from None


def _bare(document_id: str) -> str:
    return document_id.removeprefix("sha256:")
