"""Konsol Satupintu: the web console (server-rendered pages over the GraphQL schema)."""
