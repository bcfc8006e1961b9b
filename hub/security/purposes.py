"""The purpose registry as the API's `PurposeResolver`: strict in production
(an unregistered purpose is refused with PURPOSE_UNKNOWN), free text marked
`[unregistered]` in dev. The registry itself is connectors.legal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors import legal


@dataclass(frozen=True)
class PurposeRegistry:
    strict: bool

    def resolve(self, stated: str) -> str | None:
        return legal.resolve(stated, strict=self.strict)

    def codes(self) -> Sequence[str]:
        return tuple(legal.purposes())


__all__ = ["PurposeRegistry"]
