"""Bearer tokens: short-lived HS256 JWTs naming the user, signed with the site's API secret."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

ALGORITHM = "HS256"
ISSUER = "ebr"


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


def issue(*, secret: str, user_id: str, minutes: int, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": user_id,
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def subject(*, secret: str, token: str) -> str | None:
    """The user id a valid token names; None for an expired, forged or malformed token."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub"]},
        )
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    return sub if isinstance(sub, str) else None
