"""A person choosing their own password: the strength rules, and replacing a password with a new one.

The rules, all checked on every new password (CLI, admin API and pages alike show the same codes):
- ``password.too_short``: at least 10 characters (``password.too_long``: at most 256);
- ``password.one_class``: not all one kind of character: at least two of lower-case letters, upper-case
  letters, digits, and anything else (punctuation, Chinese characters, spaces);
- ``password.contains_username``: does not contain the username (ignoring case);
- ``password.common``: not one of the passwords people choose most (a short list, ignoring case);
- ``password.reused``: not the password it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.secrets import hash_password, sha256_hex, verify_password
from app.auth.service import check_login_throttle
from app.auth.users import end_sessions
from app.config import Settings
from app.errors import FieldError, ValidationFailed
from app.models import LoginAttempt, User

MIN_LENGTH = 10
MAX_LENGTH = 256

# The most frequent passwords of at least MIN_LENGTH characters in published leaks (Chinese sites weigh
# heavily: 5201314 "I love you for ever", pinyin, keyboard walks), plus the service's and the city's names.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "0123456789",
        "12345678910",
        "123456789a",
        "a123456789",
        "aa123456789",
        "abc1234567",
        "abcd123456",
        "qwertyuiop",
        "qwerty1234",
        "qwerty123456",
        "1qaz2wsx3edc",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "zxcvbnm123",
        "asdfghjkl1",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "p@ssw0rd123",
        "iloveyou1314",
        "woaini1314",
        "woaini520520",
        "5201314520",
        "1314520520",
        "admin12345",
        "admin123456",
        "administrator",
        "changeme123",
        "welcome123",
        "jiefen12345",
        "jiefen123456",
        "liyang12345",
        "liyang123456",
    }
)


def _classes(password: str) -> int:
    kinds = set()
    for ch in password:
        if "a" <= ch <= "z":
            kinds.add("lower")
        elif "A" <= ch <= "Z":
            kinds.add("upper")
        elif ch.isdigit():
            kinds.add("digit")
        else:
            kinds.add("other")
    return len(kinds)


def strength_errors(password: str, username: str, field: str = "new_password") -> list[FieldError]:
    """Everything wrong with ``password`` as a new password for ``username`` (empty: acceptable)."""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(
            FieldError(
                field, "password.too_short", f"At least {MIN_LENGTH} characters.", {"min_length": MIN_LENGTH}
            )
        )
    if len(password) > MAX_LENGTH:
        errors.append(
            FieldError(
                field, "password.too_long", f"At most {MAX_LENGTH} characters.", {"max_length": MAX_LENGTH}
            )
        )
    if password and _classes(password) < 2:
        errors.append(
            FieldError(
                field,
                "password.one_class",
                "Mix at least two of: lower-case letters, upper-case letters, digits, other characters.",
            )
        )
    if len(username) >= 3 and username.lower() in password.lower():
        errors.append(FieldError(field, "password.contains_username", "Must not contain the username."))
    if password.lower() in COMMON_PASSWORDS:
        errors.append(FieldError(field, "password.common", "This password is among the most common ones."))
    return errors


@dataclass(frozen=True)
class PasswordChange:
    user_id: int
    username: str
    current_password: str
    new_password: str
    kept_token: str | None  # the credential of the request: it stays valid, every other session ends


async def change_own_password(
    session: AsyncSession, settings: Settings, change: PasswordChange, address: str, now: datetime
) -> bool:
    """Replace the password and clear ``password_change_required``. False when the current password is
    wrong: that attempt is recorded like a failed login, so a stolen session cannot guess the password
    faster than the login throttle allows (checked first: TooManyRequests; the caller commits either way).
    Raises ValidationFailed for a weak or reused new password."""
    await check_login_throttle(session, settings, change.username, address, now)
    user = await session.get(User, change.user_id)
    if user is None or not verify_password(user.password_hash, change.current_password):
        session.add(
            LoginAttempt(username=change.username, address=address, succeeded=False, attempted_at=now)
        )
        return False
    errors = strength_errors(change.new_password, user.username)
    if change.new_password == change.current_password:
        errors.append(FieldError("new_password", "password.reused", "Choose a password you have not used."))
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = hash_password(change.new_password)
    user.password_change_required = False
    # Whoever knew the old password (the admin who set it, or a thief) loses any session made with it.
    keep = sha256_hex(change.kept_token) if change.kept_token else ""
    await end_sessions(session, user.id, now, keep_token_hash=keep)
    await session.flush()
    return True
