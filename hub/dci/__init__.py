"""The DCI Social Registry API beside GraphQL (README "DCI Social Registry API").

- `envelope`: the `{signature, header, message}` envelope and its ed25519 signature;
- `senders`: the registry of partner senders and their keys (`hub dci senders`);
- `schemas`: validation against the specification's JSON schemas;
- `routes`: the Starlette routes `hub.app` mounts.
"""
