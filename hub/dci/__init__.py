"""The DCI Social Registry API beside GraphQL (README "DCI Social Registry API").

- `envelope`: the `{signature, header, message}` envelope and its ed25519 signature;
- `senders`: the registry of partner senders and their keys (`hub dci senders`);
- `schemas`: validation against the specification's own JSON schemas;
- `service`: what every endpoint checks first (bearer, schema, signature, sender,
  message id) and how it answers;
- `search`: a `SearchRequest` run as the sender through the hub's GraphQL;
- `transactions`: accepted requests and their durable, retried callbacks;
- `callbacks`: the one signed POST of every callback; `lease`: the fencing token
  of the workers' leases (deliveries and notify);
- `subscribe`, `subscribe_api`: subscriptions, the notify pump, `/registry/subscribe`
  and `/registry/unsubscribe`;
- `routes`: the Starlette routes `hub.app` mounts; `cli`: `hub dci ...`.
"""
