from __future__ import annotations

import connectors


def test_public_names_exist_and_are_listed() -> None:
    for name in connectors.__all__:
        assert hasattr(connectors, name), name
    assert {"ingest", "load_configs", "ensure_staging_tables", "quarantined_rows"} <= set(
        connectors.__all__
    )


def test_error_tree() -> None:
    assert issubclass(connectors.SourceConfigError, connectors.ConnectorError)
    assert issubclass(connectors.SourceEncodingError, connectors.SourceReadError)
    assert issubclass(connectors.SourceHTTPError, connectors.SourceReadError)
    assert issubclass(connectors.MissingColumnError, connectors.SourceReadError)
