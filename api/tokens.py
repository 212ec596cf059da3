"""Bearer tokens: short-lived HS256 JWTs naming the user and their session, signed with the
site's API secret. The page cookie holds the same token.

A token is only as good as its session: ``api.sessions`` checks on every request that the
session it names (``sid``) is live and the user's, so a token stops working when its session
ends, long before it expires. A token without a session id is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

ALGORITHM = "HS256"
ISSUER = "ebr"


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says: whose it is and which session it belongs to."""

    user_id: str
    session_id: str


def load_secret(configured: str | None, data_dir: Path) -> str:
    """The configured secret, else one generated once and kept (mode 0600) in the data directory."""
    if configured:
        return configured
    path = data_dir / "api-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def issue(
    *,
    secret: str,
    user_id: str,
    session_id: str,
    minutes: int,
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": user_id,
        "sid": session_id,
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def claims_of(*, secret: str, token: str) -> TokenClaims | None:
    """What a valid token names; None for an expired, forged or malformed token, or one that
    names no session."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "sid"]},
        )
    except jwt.PyJWTError:
        return None
    sub, sid = claims.get("sub"), claims.get("sid")
    if not isinstance(sub, str) or not isinstance(sid, str):
        return None
    return TokenClaims(user_id=sub, session_id=sid)
