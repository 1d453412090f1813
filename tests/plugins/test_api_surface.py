"""The surfaces plugin authors import, pinned both ways as httpx pins its own: every
public attribute of the module is exported, every export exists, and the exports are
exactly the intended names (a new name is a decision, recorded here)."""

from __future__ import annotations

import types

import huicui.plugins.api as api
import huicui.testing as testing
import pytest

INTENDED = {
    "huicui.plugins.api": [
        "ADMIN", "ANY_STAFF", "ENTRY_POINT_GROUP", "MAX_CODE", "MAX_ID", "MIN_CODE", "PROJECT",
        "STAFF_ROLES", "BenefitConfigError", "BenefitInfo", "Conflict", "Context",
        "Forbidden", "HolderFacts", "Hours", "HuicuiError", "Id", "IdField", "IllegalTransition",
        "InvalidInput", "Limit", "NotFound", "Offset", "OptionalId", "PageOut", "PageSize",
        "PerUseBenefit", "Policy", "PolicyError", "Principal", "RedemptionFact",
        "SettlementLine", "Uses", "accepted_by_venue", "benefit_config", "describe_effect",
        "evaluate", "holder_facts", "hookimpl", "member_benefits", "principal_of",
        "provide_ctx", "record_event", "roles", "to_local_iso", "today"],
    "huicui.testing": [
        "ROLES", "Harness", "approve_member", "build_plugins", "holder", "migrate_database",
        "plugin_client", "prepare_environment", "staff_tokens"],
}
MODULES = [api, testing]


def public_attributes(module: types.ModuleType) -> set[str]:
    return {name for name in vars(module) if not name.startswith("_")}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_public_attribute_is_exported(module):
    # An import a module needs for itself is bound as ``_x``, so it cannot become API by
    # accident (``dt``, ``re``, ``msgspec``, ``pluggy``, ``T``, ``Mapping`` once were).
    assert sorted(public_attributes(module) - set(module.__all__)) == []


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_export_exists(module):
    assert [name for name in module.__all__ if not hasattr(module, name)] == []
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_exports_are_exactly_the_intended_names(module):
    assert sorted(module.__all__) == sorted(INTENDED[module.__name__])


def test_a_stray_public_name_is_caught():
    stray = types.ModuleType("stray")
    exec("import re\n_private = 1\nPUBLIC = 2\n__all__ = ['PUBLIC', 'GONE']", vars(stray))
    assert public_attributes(stray) - set(stray.__all__) == {"re"}
    assert [n for n in stray.__all__ if not hasattr(stray, n)] == ["GONE"]


def test_plugin_api_is_the_core_objects_not_copies():
    """Re-exports are the core's own objects, so ``isinstance`` and ``except`` agree."""
    from huicui.benefits import eligibility
    from huicui.errors import NotFound
    from huicui.http import Id, IdField, Offset, PageSize
    from huicui_verifier.policy import Limit as PolicyLimit

    assert api.NotFound is NotFound and api.Id is Id and api.IdField is IdField
    assert api.PageSize is PageSize and api.Offset is Offset and api.Limit is PolicyLimit
    assert api.HolderFacts is eligibility.HolderFacts
    assert api.member_benefits is eligibility.member_benefits
