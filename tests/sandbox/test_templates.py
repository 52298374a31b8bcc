"""The shipped account fences agree with what the code enforces and with AWS's own API models."""

import json
from pathlib import Path

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator

from mla.sandbox import tags
from mla.sandbox.config import DEFAULT_INSTANCE_TYPES
from mla.sandbox.estimate import price_table

TEMPLATES = Path(__file__).resolve().parents[2] / "sandbox_templates"


class CloudFormationLoader(yaml.SafeLoader):
    """Reads !Ref, !Sub and !GetAtt as plain values."""


CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: (
    loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else loader.construct_sequence(node)))


def policy(name):
    return json.loads((TEMPLATES / name).read_text())


def test_the_instance_type_scp_allows_exactly_the_default_caps():
    condition = policy("scp-sagemaker-instance-types.json")["Statement"][0]["Condition"]
    assert tuple(condition["ForAnyValue:StringNotLike"]["sagemaker:InstanceTypes"]) == DEFAULT_INSTANCE_TYPES


def test_the_required_tag_scp_names_the_tag_the_hook_adds():
    statement = policy("scp-required-tags.json")["Statement"][0]
    assert statement["Condition"]["Null"] == {f"aws:RequestTag/{tags.RUN_ID}": "true"}
    assert "sagemaker:CreateEndpoint" in statement["Action"]


def test_the_region_scp_denies_outside_the_list_but_keeps_global_services():
    statement = policy("scp-allowed-regions.json")["Statement"][0]
    assert statement["Effect"] == "Deny" and {"iam:*", "sts:*", "budgets:*"} <= set(statement["NotAction"])
    assert statement["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == [price_table()["region"]]


def test_the_studio_idle_settings_are_valid_for_update_domain():
    model = botocore.session.get_session().get_service_model("sagemaker").operation_model("UpdateDomain")
    settings = policy("studio-idle-shutdown.json")
    report = ParamValidator().validate({"DomainId": "d-abc123", "DefaultUserSettings": settings}, model.input_shape)
    assert not report.has_errors(), report.generate_report()
    idle = settings["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"]
    assert idle["LifecycleManagement"] == "ENABLED" and idle["IdleTimeoutInMinutes"] >= 60  # AWS minimum


@pytest.mark.parametrize("name,types", [
    ("budget-with-actions.yaml", {"AWS::Budgets::Budget", "AWS::Budgets::BudgetsAction", "AWS::IAM::Role",
                                  "AWS::IAM::ManagedPolicy"}),
    ("execution-role.yaml", {"AWS::IAM::Role"}),
])
def test_cloudformation_templates_parse_and_declare_their_resources(name, types):
    template = yaml.load((TEMPLATES / name).read_text(), Loader=CloudFormationLoader)
    assert {r["Type"] for r in template["Resources"].values()} == types


def test_the_budget_action_blocks_automatically_at_the_limit():
    template = yaml.load((TEMPLATES / "budget-with-actions.yaml").read_text(), Loader=CloudFormationLoader)
    action = template["Resources"]["BlockCreationAtLimit"]["Properties"]
    assert (action["ActionType"], action["ApprovalModel"], action["NotificationType"]) == (
        "APPLY_IAM_POLICY", "AUTOMATIC", "ACTUAL")
    assert action["ActionThreshold"] == {"Type": "PERCENTAGE", "Value": 100}


def test_the_execution_role_has_the_name_the_lab_uses():
    template = yaml.load((TEMPLATES / "execution-role.yaml").read_text(), Loader=CloudFormationLoader)
    assert template["Resources"]["CourseExecutionRole"]["Properties"]["RoleName"] == "mla-course-sagemaker-execution"
