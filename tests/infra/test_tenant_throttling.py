"""Per-tenant throttling in the cloud (docs/decisions.md 62): a usage plan with manifest.TENANT_THROTTLE on
the API's stage, keys named by the authorizer, and every authorized method requiring one."""

from __future__ import annotations

import pytest

from functions import manifest

from .conftest import Synth

pytestmark = pytest.mark.infra


def test_the_usage_plan_throttles_each_tenant_on_the_apis_stage(synth: Synth, custom_synth: Synth) -> None:
    for each in (synth, custom_synth):
        (plan,) = each.resources("AWS::ApiGateway::UsagePlan").values()
        props = plan["Properties"]
        assert props["Throttle"] == {
            "RateLimit": manifest.TENANT_THROTTLE.rate_per_second,
            "BurstLimit": manifest.TENANT_THROTTLE.burst,
        }
        assert "Quota" not in props  # a rate, not a quota
        ((stage,),) = [[s["Stage"]] for s in props["ApiStages"]]
        (stage_id,) = each.resources("AWS::ApiGateway::Stage")
        assert stage == {"Ref": stage_id}
        # The stage's own throttling stays: the ceiling of all tenants together.
        (stage_props,) = [s["Properties"] for s in each.resources("AWS::ApiGateway::Stage").values()]
        (settings,) = stage_props["MethodSettings"]
        assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
        assert "UsagePlanId" in each.template["Outputs"]


def test_the_api_takes_usage_keys_from_the_authorizer(synth: Synth) -> None:
    (api,) = synth.resources("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["ApiKeySourceType"] == "AUTHORIZER"


def test_every_authorized_method_requires_a_key_and_public_ones_none(synth: Synth) -> None:
    methods = synth.resources("AWS::ApiGateway::Method")
    authorized = {
        k: m["Properties"] for k, m in methods.items() if m["Properties"]["AuthorizationType"] != "NONE"
    }
    public = {
        k: m["Properties"] for k, m in methods.items() if m["Properties"]["AuthorizationType"] == "NONE"
    }
    # The ACP door's methods are merged in (tests/infra/conftest.py): both stacks' methods are covered.
    assert len(authorized) > len(manifest.ACP_OPERATIONS)
    assert public, "A2A's agent cards are public"
    assert not [k for k, props in authorized.items() if props.get("ApiKeyRequired") is not True]
    assert not [k for k, props in public.items() if props.get("ApiKeyRequired")]
