"""The roles a token can carry."""

from enum import StrEnum


class Role(StrEnum):
    regulator = "regulator"
    enterprise = "enterprise"
    partner = "partner"
    handler = "handler"
    service = "service"
