"""Accounts and their roles."""

from __future__ import annotations

import enum
import unicodedata
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from sas.extensions import Model
from sas.models.places import Region, School, str_enum


def make_password_hash(password: str) -> str:
    """scrypt (Werkzeug's default) of the password in Unicode NFKC form, so that the same
    password typed on two phones whose keyboards compose accents differently still matches."""
    return generate_password_hash(unicodedata.normalize("NFKC", password))


def password_matches(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, unicodedata.normalize("NFKC", password))


class Role(enum.StrEnum):
    COMMITTEE = "committee"  # Tim SAS: records for their own school
    TEACHER = "teacher"  # guru pembina: reads their own school
    DISTRICT = "district"  # Dinas Pendidikan: reads totals of their kabupaten
    ADMIN = "admin"  # sets up schools and accounts


SCHOOL_ROLES = (Role.COMMITTEE, Role.TEACHER)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie; bumping it (at logout) makes every older cookie worthless.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the login before the latest one, shown to the user ("terakhir masuk")
    previous_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A new or reset account has a one-time password: it works until this time and only once;
    # the user must then set their own password before doing anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    password_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    school: Mapped[School | None] = relationship()
    region: Mapped[Region | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "role NOT IN ('committee', 'teacher') OR school_id IS NOT NULL", name="school_role"
        ),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = make_password_hash(password)

    def check_password(self, password: str) -> bool:
        return password_matches(self.password_hash, password)

    @property
    def can_record(self) -> bool:
        return self.role == Role.COMMITTEE


# Logins match usernames without regard to case, so two accounts may not differ only in case.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
