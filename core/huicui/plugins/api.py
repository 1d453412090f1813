"""Core's public plugin API: the only names a benefit plugin imports from ``huicui``.

Plugins mark hook implementations with :data:`hookimpl` and receive these
Structs; the policy types come from the verifier distribution, which evaluates
them offline at the venue. A benefit used at a venue and paid per use is one
:class:`PerUseBenefit`. Plugins that add HTTP routes use the guards, errors, audit,
typed id and paging parameters re-exported here (``Id``, ``OptionalId``, ``IdField``,
``PageSize``, ``Offset``: out-of-range values become a 400, never a database
error), so the core may reorganise its modules without breaking a published plugin.

This module only re-exports; ``tests/plugins/test_api_surface.py`` pins the names
both ways (every public attribute is exported, every export exists).
"""

from huicui_verifier.policy import (
    BenefitInfo,
    Hours,
    Limit,
    Policy,
    PolicyError,
    describe_effect,
    evaluate,
)

from huicui.audit.service import record as record_event
from huicui.auth import ADMIN, ANY_STAFF, STAFF_ROLES, Principal, principal_of, roles
from huicui.benefits.eligibility import HolderFacts, holder_facts, member_benefits
from huicui.context import Context
from huicui.errors import (
    Conflict,
    Forbidden,
    HuicuiError,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from huicui.http import MAX_ID, Id, IdField, Offset, OptionalId, PageOut, PageSize, provide_ctx
from huicui.plugins._names import ENTRY_POINT_GROUP, MAX_CODE, MIN_CODE, PROJECT
from huicui.plugins.config import BenefitConfigError, benefit_config
from huicui.plugins.hookspecs import hookimpl
from huicui.plugins.per_use import PerUseBenefit, Uses
from huicui.plugins.settlement import RedemptionFact, SettlementLine, accepted_by_venue
from huicui.timefmt import to_local_iso, today

__all__ = [
    "ADMIN",
    "ANY_STAFF",
    "ENTRY_POINT_GROUP",
    "MAX_CODE",
    "MAX_ID",
    "MIN_CODE",
    "PROJECT",
    "STAFF_ROLES",
    "BenefitConfigError",
    "BenefitInfo",
    "Conflict",
    "Context",
    "Forbidden",
    "HolderFacts",
    "Hours",
    "HuicuiError",
    "Id",
    "IdField",
    "IllegalTransition",
    "InvalidInput",
    "Limit",
    "NotFound",
    "Offset",
    "OptionalId",
    "PageOut",
    "PageSize",
    "PerUseBenefit",
    "Policy",
    "PolicyError",
    "Principal",
    "RedemptionFact",
    "SettlementLine",
    "Uses",
    "accepted_by_venue",
    "benefit_config",
    "describe_effect",
    "evaluate",
    "holder_facts",
    "hookimpl",
    "member_benefits",
    "principal_of",
    "provide_ctx",
    "record_event",
    "roles",
    "to_local_iso",
    "today",
]
