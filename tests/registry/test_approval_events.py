"""Model Registry on the local backend: approval transitions, and the EventBridge event an approval emits
reaching a rule's target (an SQS queue) only when the rule's pattern matches."""

import json

import pytest
from botocore.exceptions import ClientError

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"


@pytest.fixture
def group(aws, name):
    aws.sagemaker.create_model_package_group(ModelPackageGroupName=name)
    return name


def _register(aws, group, status=None, **extra):
    spec = {"Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://b/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
    args = {"ModelApprovalStatus": status} if status else {}
    return aws.sagemaker.create_model_package(ModelPackageGroupName=group, InferenceSpecification=spec,
                                              **args, **extra)["ModelPackageArn"]


def _approved_rule_queue(aws, group, status="Approved"):
    """A queue receiving what a rule for ``status`` changes of ``group``'s packages matches."""
    queue_url = aws.sqs.create_queue(QueueName=f"{group}-{status.lower()}")["QueueUrl"]
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"],
               "detail": {"ModelPackageGroupName": [group], "ModelApprovalStatus": [status]}}
    rule = f"{group}-{status.lower()}"
    aws.events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    aws.events.put_targets(Rule=rule, Targets=[{"Id": "deploy", "Arn": queue_arn}])
    return queue_url


def _messages(aws, queue_url):
    got = aws.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_versions_number_up_and_approval_moves_through_update(aws, group):
    first = _register(aws, group, "PendingManualApproval", CustomerMetadataProperties={"auc": "0.91"})
    second = _register(aws, group, "PendingManualApproval")
    assert [aws.sagemaker.describe_model_package(ModelPackageName=a)["ModelPackageVersion"]
            for a in (first, second)] == [1, 2]
    aws.sagemaker.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved",
                                       ApprovalDescription="passed review")
    described = aws.sagemaker.describe_model_package(ModelPackageName=first)
    assert (described["ModelApprovalStatus"], described["ApprovalDescription"]) == ("Approved", "passed review")
    assert described["CustomerMetadataProperties"] == {"auc": "0.91"}, "an approval must keep the metadata"
    aws.sagemaker.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Rejected")
    assert aws.sagemaker.describe_model_package(ModelPackageName=first)["ApprovalDescription"] == "passed review"
    listed = aws.sagemaker.list_model_packages(ModelPackageGroupName=group, ModelApprovalStatus="Rejected")
    assert [p["ModelPackageArn"] for p in listed["ModelPackageSummaryList"]] == [first]


def test_a_deleted_version_is_not_reused(aws, group):
    first, second = _register(aws, group), _register(aws, group)
    aws.sagemaker.delete_model_package(ModelPackageName=first)
    third = _register(aws, group)
    assert aws.sagemaker.describe_model_package(ModelPackageName=third)["ModelPackageVersion"] == 3
    assert aws.sagemaker.describe_model_package(ModelPackageName=second)["ModelPackageVersion"] == 2


def test_group_by_arn_and_bad_status_are_handled_like_aws(aws, group):
    group_arn = aws.sagemaker.describe_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
    assert _register(aws, group_arn).endswith(f"/{group}/1")
    with pytest.raises(ClientError) as error:
        _register(aws, group, "Maybe")
    assert error.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as error:
        _register(aws, f"{group}-missing")
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_approval_delivers_the_sagemaker_event_to_the_rule_target(aws, group):
    queue_url = _approved_rule_queue(aws, group)
    arn = _register(aws, group, "PendingManualApproval")
    assert _messages(aws, queue_url) == [], "a pending package must not match an Approved rule"
    aws.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    [event] = _messages(aws, queue_url)
    assert (event["source"], event["detail-type"]) == ("aws.sagemaker", "SageMaker Model Package State Change")
    assert event["resources"] == [arn] and event["region"] == "us-east-1"  # moto's SQS delivery omits "account"
    detail = event["detail"]
    assert (detail["ModelPackageArn"], detail["ModelPackageGroupName"], detail["ModelPackageVersion"]) == (arn, group, 1)
    assert detail["ModelApprovalStatus"] == "Approved"
    assert detail["InferenceSpecification"]["Containers"][0]["Image"] == IMAGE
    assert detail["CreationTime"].endswith("Z") and "CreatedBy" not in detail


def test_a_rejection_does_not_match_an_approved_pattern(aws, group):
    approved_queue = _approved_rule_queue(aws, group)
    rejected_queue = _approved_rule_queue(aws, group, "Rejected")
    arn = _register(aws, group, "PendingManualApproval")
    aws.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    assert _messages(aws, approved_queue) == []
    assert [e["detail"]["ModelApprovalStatus"] for e in _messages(aws, rejected_queue)] == ["Rejected"]
