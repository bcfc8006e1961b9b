"""The DCI envelope `{signature, header, message}` and its ed25519 signature.

The specification names the signature's parts but not how to compute them
(README "DCI Social Registry API", inconsistency 11). What we pin, in the form
of `common/schema/MsgSignature.yaml` (draft-cavage HTTP signatures carried in
the body's `signature` field):

    Signature: namespace="spdci",keyId="{sender_id}|{key_id}|ed25519",
      algorithm="ed25519",created="<unix s>",expires="<unix s>",
      headers="(created) (expires) digest",signature="<base64>"

- `digest` = `BLAKE-512=` + base64(BLAKE2b-512(JCS({"header": ..., "message": ...})))
  (RFC 8785 canonical JSON of the two parts present; the field carries no
  digest, so the algorithm is fixed);
- the signed string is `(created): <c>\\n(expires): <e>\\ndigest: <digest>`;
- the signature is ed25519 over that string, base64;
- `kidId=` (the schema's example) is read as `keyId=`.

A verifier looks the key up by `(sender_id, key_id)` in the sender registry
(hub.dci.senders); the `sender_id` in `keyId` must be the header's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from hub.security.chain import place_new_key_file

ALGORITHM = "ed25519"
SIGNED_HEADERS = "(created) (expires) digest"
#: the hub's own signing key, under $HUB_HOME/keys/
SIGNING_KEY_FILE = "dci-signing-key"
#: how long a signature we make is valid
DEFAULT_TTL_S = 300
#: how far a partner's clock may be ahead of ours
CLOCK_SKEW_S = 30
#: the longest a signature may be valid (`expires - created`): a replayed message
#: is refused by its message_id for this long, and by its expiry after
MAX_LIFETIME_S = 3600


class DciRefusal(Exception):
    """A request the hub refuses, with the specification's error code
    (`common/schema/Error.yaml`) and the HTTP status it is answered with."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# --- canonical JSON (RFC 8785) ------------------------------------------------


def _number(value: float) -> str:
    """ECMAScript's Number.prototype.toString, as JCS requires."""
    if not math.isfinite(value):
        raise ValueError("JSON has no NaN or Infinity")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)  # the shortest repr that round-trips, as ECMAScript's
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    exp = int(exponent)
    if -7 < exp < 21:  # ECMAScript writes these without an exponent
        return format(value, "f").rstrip("0").rstrip(".")
    return f"{mantissa}e{'+' if exp > 0 else '-'}{abs(exp)}"


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of `value`: sorted keys (by UTF-16 units), no spaces."""
    return _jcs(value).encode("utf-8")


def _jcs(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]).encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs(str(k))}:{_jcs(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    raise TypeError(f"not JSON: {type(value).__name__}")


def digest_of(envelope: Mapping[str, Any]) -> str:
    """The digest of the envelope's header and message (whichever are present)."""
    signed = {k: envelope[k] for k in ("header", "message") if k in envelope}
    raw = hashlib.blake2b(canonical_json(signed), digest_size=64).digest()
    return f"BLAKE-512={base64.b64encode(raw).decode()}"


def signing_string(created: int, expires: int, digest: str) -> bytes:
    return f"(created): {created}\n(expires): {expires}\ndigest: {digest}".encode()


# --- the signature field -----------------------------------------------------


@dataclass(frozen=True)
class SignatureParts:
    sender_id: str
    key_id: str
    algorithm: str
    created: int
    expires: int
    headers: str
    signature: bytes


_PARAM = re.compile(r'([A-Za-z]+)\s*=\s*"([^"]*)"')


def parse_signature(text: object) -> SignatureParts:
    """The parts of a `signature` field; `err.signature.missing` when absent,
    `err.signature.invalid` when it cannot be read."""
    if text is None or (isinstance(text, str) and not text.strip()):
        raise DciRefusal("err.signature.missing", "the envelope has no signature")
    if not isinstance(text, str):
        raise DciRefusal("err.signature.invalid", "the signature is not a string")
    body = text.strip()
    if body.lower().startswith("signature:"):
        body = body[len("signature:") :]
    params = {name.lower(): value for name, value in _PARAM.findall(body)}
    key = params.get("keyid") or params.get("kidid")
    try:
        if key is None:
            raise ValueError("no keyId")
        sender_id, key_id, algorithm = key.rsplit("|", 2)
        created, expires = int(params["created"]), int(params["expires"])
        signature = base64.b64decode(params["signature"], validate=True)
    except (KeyError, ValueError) as exc:
        raise DciRefusal("err.signature.invalid", f"unreadable signature ({exc})") from None
    algorithm = params.get("algorithm", algorithm)
    if algorithm.lower() != ALGORITHM or params.get("headers", SIGNED_HEADERS) != SIGNED_HEADERS:
        raise DciRefusal(
            "err.signature.invalid",
            f'only algorithm="{ALGORITHM}" over headers="{SIGNED_HEADERS}" is accepted',
        )
    return SignatureParts(sender_id, key_id, ALGORITHM, created, expires, SIGNED_HEADERS, signature)


def sign_envelope(
    envelope: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    sender_id: str,
    key_id: str,
    *,
    now: float | None = None,
    ttl_s: int = DEFAULT_TTL_S,
) -> dict[str, Any]:
    """A copy of `envelope` (header and message) with its `signature` set."""
    created = int(time.time() if now is None else now)
    expires = created + ttl_s
    digest = digest_of(envelope)
    raw = private_key.sign(signing_string(created, expires, digest))
    field = (
        f'Signature: namespace="spdci",keyId="{sender_id}|{key_id}|{ALGORITHM}",'
        f'algorithm="{ALGORITHM}",created="{created}",expires="{expires}",'
        f'headers="{SIGNED_HEADERS}",signature="{base64.b64encode(raw).decode()}"'
    )
    signed = {k: envelope[k] for k in ("header", "message") if k in envelope}
    return {"signature": field, **signed}


#: (sender_id, key_id) -> the sender's public key; raises DciRefusal when unknown
KeyLookup = Callable[[str, str], Ed25519PublicKey]


def verify_envelope(
    envelope: Mapping[str, Any],
    lookup: KeyLookup,
    *,
    now: float | None = None,
    skew_s: int = CLOCK_SKEW_S,
) -> SignatureParts:
    """Check the signature of a received envelope; its parts when good.

    Refusals (DciRefusal): no signature (`err.signature.missing`); a keyId whose
    sender is not the header's, or that the registry does not know
    (`err.sender_id.invalid`, from `lookup`); created in the future, expired,
    valid for longer than MAX_LIFETIME_S, a digest that does not match or a
    signature that does not verify (`err.signature.invalid`)."""
    parts = parse_signature(envelope.get("signature"))
    header = envelope.get("header")
    header_sender = header.get("sender_id") if isinstance(header, Mapping) else None
    if parts.sender_id != header_sender:
        raise DciRefusal(
            "err.sender_id.invalid",
            f"the signature's keyId names sender {parts.sender_id!r}, the header {header_sender!r}",
        )
    public = lookup(parts.sender_id, parts.key_id)
    at = time.time() if now is None else now
    if parts.created > at + skew_s:
        raise DciRefusal("err.signature.invalid", "the signature was created in the future")
    if parts.expires < at - skew_s or parts.expires < parts.created:
        raise DciRefusal("err.signature.invalid", "the signature has expired")
    if parts.expires - parts.created > MAX_LIFETIME_S:
        raise DciRefusal(
            "err.signature.invalid",
            f"a signature may be valid for at most {MAX_LIFETIME_S} s (expires - created)",
        )
    digest = digest_of(envelope)
    try:
        public.verify(parts.signature, signing_string(parts.created, parts.expires, digest))
    except InvalidSignature:
        raise DciRefusal(
            "err.signature.invalid",
            "the signature does not verify over the header and message with the sender's key",
        ) from None
    return parts


# --- keys ---------------------------------------------------------------------


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64 (how the sender registry stores keys)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A public key from base64 of its 32 raw bytes, or from PEM (SubjectPublicKeyInfo)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError("a public key is base64 of 32 raw bytes, or PEM") from None
    if len(raw) != 32:
        raise ValueError(f"an ed25519 public key is 32 bytes, not {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id_of(key: Ed25519PublicKey) -> str:
    """A short stable id of a public key: the first 16 hex digits of its SHA-256."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class HubSigner:
    """The hub's own signing identity: answers and callbacks are signed with it."""

    sender_id: str
    private_key: Ed25519PrivateKey
    ttl_s: int = DEFAULT_TTL_S

    @property
    def key_id(self) -> str:
        return key_id_of(self.private_key.public_key())

    @property
    def public_key(self) -> str:
        return public_key_text(self.private_key.public_key())

    def sign(self, envelope: Mapping[str, Any], now: float | None = None) -> dict[str, Any]:
        return sign_envelope(
            envelope, self.private_key, self.sender_id, self.key_id, now=now, ttl_s=self.ttl_s
        )


#: how to make the hub's signing key once (a PKCS#8 PEM, as the hub makes it)
SIGNING_KEY_RECIPE = "`openssl genpkey -algorithm ed25519 -out FILE`, mode 0600"


def signing_key_from_pem(data: bytes, origin: Path) -> Ed25519PrivateKey:
    """The ed25519 private key in a PKCS#8 PEM file's bytes."""
    try:
        loaded = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        loaded = None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{origin} does not hold an ed25519 private key (PKCS#8 PEM)")
    return loaded


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The ed25519 key in `path` (PKCS#8 PEM), made (mode 0600, whole) when
    missing: one server's own. Servers sharing a database never make it
    (`hub.dci.service.hub_signer`)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        place_new_key_file(path, pem)  # whole, then linked: a racing server reads the winner's
        data = path.read_bytes()
    return signing_key_from_pem(data, path)


def raw_private_bytes(key: Ed25519PrivateKey) -> bytes:
    """The key's 32 raw bytes (what its fingerprint is taken of)."""
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


__all__ = [
    "ALGORITHM",
    "CLOCK_SKEW_S",
    "DEFAULT_TTL_S",
    "MAX_LIFETIME_S",
    "SIGNED_HEADERS",
    "SIGNING_KEY_FILE",
    "SIGNING_KEY_RECIPE",
    "DciRefusal",
    "HubSigner",
    "KeyLookup",
    "SignatureParts",
    "canonical_json",
    "digest_of",
    "key_id_of",
    "load_or_create_signing_key",
    "parse_signature",
    "public_key_from_text",
    "public_key_text",
    "raw_private_bytes",
    "sign_envelope",
    "signing_key_from_pem",
    "signing_string",
    "verify_envelope",
]
