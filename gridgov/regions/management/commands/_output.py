"""Shared bits of the regions commands: turning domain errors into CommandError."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.management.base import CommandError

from gridgov.core.errors import DomainError


@contextmanager
def domain_errors_as_command_errors():
    try:
        yield
    except DomainError as exc:
        raise CommandError(str(exc.message)) from exc
