"""Protection of the people in the data (UU PDP): who is calling, what their
role lets them see, and a tamper-evident record of every read and write.

    principal   Principal, the role table (RolePolicy), NIK/KK/phone masking
    keys        per-organization API keys in the security database (hub.security.db)
    jwt         staff JWT bearer tokens against an issuer and a JWKS file
    authn       headers or a websocket connection_init payload -> Principal
    audit       the append-only audit log, HMAC-chained
    chain       the audit key and the anchors files outside the database
    purposes    the purpose registry (connectors.legal) as the API's resolver
    ratelimit   a token bucket per key
    tokens      short HMAC-signed tokens (the dashboard's session and sign-in link)
    cli         `hub keys ...` and `hub audit ...`
"""

from hub.security.audit import AuditEvent, AuditLog, AuditRecord, VerifyResult
from hub.security.authn import Authenticator, authenticate, purpose_from_headers
from hub.security.db import SecurityDB, security_db_path
from hub.security.errors import (
    AuditChainBroken,
    InvalidOrganizationError,
    KeyNotFoundError,
    KeyRevokedError,
    RateLimited,
    SecurityError,
    Unauthenticated,
    UnknownRoleError,
)
from hub.security.jwt import JwtOutcome, JwtVerifier
from hub.security.keys import (
    KeyRecord,
    KeyStore,
    authenticate_key,
    create_key,
    list_keys,
    revoke_key,
    rotate_key,
)
from hub.security.principal import (
    ROLE_POLICIES,
    Principal,
    RolePolicy,
    mask_kk,
    mask_nik,
    mask_phone,
    parse_role,
)
from hub.security.ratelimit import RateLimit, RateLimiter
from hub.security.tokens import TokenSigner, token_secret

__all__ = [
    "ROLE_POLICIES",
    "AuditChainBroken",
    "AuditEvent",
    "AuditLog",
    "AuditRecord",
    "Authenticator",
    "InvalidOrganizationError",
    "JwtOutcome",
    "JwtVerifier",
    "KeyNotFoundError",
    "KeyRecord",
    "KeyRevokedError",
    "KeyStore",
    "Principal",
    "RateLimit",
    "RateLimited",
    "RateLimiter",
    "RolePolicy",
    "SecurityDB",
    "SecurityError",
    "TokenSigner",
    "Unauthenticated",
    "UnknownRoleError",
    "VerifyResult",
    "authenticate",
    "authenticate_key",
    "create_key",
    "list_keys",
    "mask_kk",
    "mask_nik",
    "mask_phone",
    "parse_role",
    "purpose_from_headers",
    "revoke_key",
    "rotate_key",
    "security_db_path",
    "token_secret",
]
