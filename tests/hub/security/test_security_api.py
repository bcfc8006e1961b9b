from __future__ import annotations

import hub.security
import schema.extensions


def test_public_surface_is_importable() -> None:
    for module in (hub.security, schema.extensions):
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == []
        assert len(set(module.__all__)) == len(module.__all__)
