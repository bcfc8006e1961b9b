"""Errors the hub shows to people.

    HubError                    anything the CLI prints as one line and exits 1
    ├── ConfigError             settings or a config file are wrong
    └── PipelineError           a step (ingest, link, load) cannot run on what it was given

Packages below hub/ (connectors, linkage, graph) raise their own errors; the CLI
catches each tree by meaning (see hub.cli.USER_ERRORS).
"""

from __future__ import annotations


class HubError(Exception):
    """An error with a message fit for the person at the terminal."""


class ConfigError(HubError):
    pass


class PipelineError(HubError):
    pass
