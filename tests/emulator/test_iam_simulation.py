"""The IAM policy simulator (SimulateCustomPolicy, SimulatePrincipalPolicy) through boto3 on the local backend."""

import json

import pytest
from botocore.exceptions import ClientError

BUCKET = "arn:aws:s3:::training-data"
JOB = "arn:aws:sagemaker:us-east-1:123456789012:training-job/risk-xgb"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def entry(key, *values, kind="string"):
    return {"ContextKeyName": key, "ContextKeyValues": list(values), "ContextKeyType": kind}


def decisions(response):
    return [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in response["EvaluationResults"]]


def test_explicit_deny_beats_allow_and_nothing_is_an_implicit_deny(aws):
    reader = policy({"Effect": "Allow", "Action": "s3:Get*", "Resource": f"{BUCKET}/*"},
                    {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObject", "Resource": f"{BUCKET}/secret/*"})
    response = aws.iam.simulate_custom_policy(
        PolicyInputList=[reader], ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=[f"{BUCKET}/train.csv", f"{BUCKET}/secret/key.pem"])
    assert decisions(response) == [
        ("s3:GetObject", f"{BUCKET}/train.csv", "allowed"),
        ("s3:GetObject", f"{BUCKET}/secret/key.pem", "explicitDeny"),
        ("s3:PutObject", f"{BUCKET}/train.csv", "implicitDeny"),
        ("s3:PutObject", f"{BUCKET}/secret/key.pem", "implicitDeny"),
    ]
    matched = [r["MatchedStatements"] for r in response["EvaluationResults"]]
    assert matched[0] == [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "none"}]
    assert len(matched[1]) == 1 and matched[2] == []  # only the deny is reported; nothing matched an implicit deny
    assert response["IsTruncated"] is False


def test_resources_default_to_star_and_actions_match_case_insensitively(aws):
    anything_but_iam = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                              {"Effect": "Allow", "Action": "SAGEMAKER:describe?ndpoint", "Resource": "*"})
    response = aws.iam.simulate_custom_policy(
        PolicyInputList=[anything_but_iam], ActionNames=["s3:ListBucket", "iam:CreateUser", "sagemaker:DescribeEndpoint"])
    assert decisions(response) == [("s3:ListBucket", "*", "allowed"), ("iam:CreateUser", "*", "implicitDeny"),
                                   ("sagemaker:DescribeEndpoint", "*", "allowed")]


def test_not_resource_and_a_specific_resource_against_the_default_star(aws):
    outside_prod = policy({"Effect": "Allow", "Action": "s3:*", "NotResource": f"{BUCKET}/prod/*"})
    only_one = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/a.csv"})
    response = aws.iam.simulate_custom_policy(PolicyInputList=[outside_prod], ActionNames=["s3:GetObject"],
                                              ResourceArns=[f"{BUCKET}/dev/a", f"{BUCKET}/prod/a"])
    assert [d for *_, d in decisions(response)] == ["allowed", "implicitDeny"]
    star = aws.iam.simulate_custom_policy(PolicyInputList=[only_one], ActionNames=["s3:GetObject"])
    assert decisions(star) == [("s3:GetObject", "*", "implicitDeny")]


GUARDED = policy(
    {"Sid": "ApprovedTypes", "Effect": "Allow", "Action": "sagemaker:CreateTrainingJob", "Resource": "*",
     "Condition": {"ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["ml.m5.large", "ml.m5.xlarge"]},
                   "Null": {"sagemaker:InstanceTypes": "false"},
                   "Bool": {"sagemaker:NetworkIsolation": "true"},
                   "StringEqualsIfExists": {"aws:RequestTag/team": "risk"}}},
    {"Sid": "NoGpus", "Effect": "Deny", "Action": "sagemaker:Create*", "Resource": "*",
     "Condition": {"ForAnyValue:StringLike": {"sagemaker:InstanceTypes": ["ml.p*", "ml.g*"]}}})


@pytest.mark.parametrize(("context", "decision"), [
    ([entry("sagemaker:InstanceTypes", "ml.m5.large", kind="stringList"),
      entry("sagemaker:NetworkIsolation", "true", kind="boolean")], "allowed"),
    ([entry("sagemaker:InstanceTypes", "ml.m5.large", "ml.c5.xlarge", kind="stringList"),
      entry("sagemaker:NetworkIsolation", "true", kind="boolean")], "implicitDeny"),  # not all values approved
    ([entry("sagemaker:InstanceTypes", "ml.m5.large", "ml.p4d.24xlarge", kind="stringList"),
      entry("sagemaker:NetworkIsolation", "true", kind="boolean")], "explicitDeny"),  # any GPU value
    ([entry("sagemaker:NetworkIsolation", "true", kind="boolean")], "implicitDeny"),  # Null guards "all of nothing"
    ([entry("sagemaker:InstanceTypes", "ml.m5.large", kind="stringList"),
      entry("sagemaker:NetworkIsolation", "false", kind="boolean")], "implicitDeny"),
    ([entry("sagemaker:InstanceTypes", "ml.m5.large", kind="stringList"),
      entry("sagemaker:NetworkIsolation", "true", kind="boolean"), entry("aws:RequestTag/team", "fraud")],
     "implicitDeny"),  # IfExists still tests a key that is present
])
def test_conditions_read_the_context_entries(aws, context, decision):
    response = aws.iam.simulate_custom_policy(PolicyInputList=[GUARDED], ActionNames=["sagemaker:CreateTrainingJob"],
                                              ResourceArns=[JOB], ContextEntries=context)
    assert response["EvaluationResults"][0]["EvalDecision"] == decision


def test_missing_context_values_are_reported_and_negated_operators_hold_on_a_missing_key(aws):
    guard = policy({"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"},
                   {"Effect": "Deny", "Action": "sagemaker:InvokeEndpoint", "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}})
    missing = aws.iam.simulate_custom_policy(PolicyInputList=[guard], ActionNames=["sagemaker:InvokeEndpoint"])
    result = missing["EvaluationResults"][0]
    assert result["EvalDecision"] == "explicitDeny" and result["MissingContextValues"] == ["aws:SourceVpce"]
    given = aws.iam.simulate_custom_policy(PolicyInputList=[guard], ActionNames=["sagemaker:InvokeEndpoint"],
                                           ContextEntries=[entry("aws:sourcevpce", "vpce-0123456789abcdef0")])
    assert given["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert given["EvaluationResults"][0]["MissingContextValues"] == []


def test_numeric_date_arn_and_ip_operators(aws):
    limits = policy({"Effect": "Allow", "Action": "sagemaker:CreateEndpoint", "Resource": "*",
                     "Condition": {"NumericLessThanEquals": {"sagemaker:MaxRuntimeInSeconds": "3600"},
                                   "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"},
                                   "ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:123456789012:endpoint/*"},
                                   "IpAddress": {"aws:SourceIp": "10.0.0.0/16"}}})

    def decide(runtime, time, source, ip):
        return aws.iam.simulate_custom_policy(
            PolicyInputList=[limits], ActionNames=["sagemaker:CreateEndpoint"],
            ContextEntries=[entry("sagemaker:MaxRuntimeInSeconds", runtime, kind="numeric"),
                            entry("aws:CurrentTime", time, kind="date"), entry("aws:SourceArn", source),
                            entry("aws:SourceIp", ip, kind="ip")])["EvaluationResults"][0]["EvalDecision"]

    ok = ("1800", "2026-11-27T08:00:00Z", "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/a", "10.0.3.4")
    assert decide(*ok) == "allowed"
    for position, bad in enumerate(["7200", "2027-06-01T00:00:00Z",
                                    "arn:aws:sagemaker:eu-west-1:999999999999:endpoint/a", "192.168.1.1"]):
        assert decide(*ok[:position], bad, *ok[position + 1:]) == "implicitDeny", bad


def test_a_permissions_boundary_caps_what_the_identity_policy_allows(aws):
    broad = policy({"Effect": "Allow", "Action": ["s3:*", "sagemaker:*"], "Resource": "*"})
    boundary = policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    response = aws.iam.simulate_custom_policy(PolicyInputList=[broad], PermissionsBoundaryPolicyInputList=[boundary],
                                              ActionNames=["s3:GetObject", "sagemaker:CreateEndpoint"])
    assert [r["EvalDecision"] for r in response["EvaluationResults"]] == ["allowed", "implicitDeny"]
    assert [r["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"]
            for r in response["EvaluationResults"]] == [True, False]


def test_a_resource_policy_allows_the_caller_it_names(aws):
    bucket_policy = policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/analyst"},
                            "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"})
    nothing = policy({"Effect": "Deny", "Action": "ec2:*", "Resource": "*"})

    def decide(caller):
        return aws.iam.simulate_custom_policy(
            PolicyInputList=[nothing], ActionNames=["s3:GetObject"], ResourceArns=[f"{BUCKET}/a.csv"],
            ResourcePolicy=bucket_policy, CallerArn=caller)["EvaluationResults"][0]

    allowed = decide("arn:aws:iam::123456789012:user/analyst")
    assert allowed["EvalDecision"] == "allowed"
    assert allowed["MatchedStatements"][0]["SourcePolicyType"] == "resource"
    assert decide("arn:aws:iam::123456789012:user/intern")["EvalDecision"] == "implicitDeny"
    with pytest.raises(ClientError, match="CallerArn"):
        aws.iam.simulate_custom_policy(PolicyInputList=[nothing], ActionNames=["s3:GetObject"],
                                       ResourcePolicy=bucket_policy)


def test_principal_policy_of_a_role_combines_inline_and_attached_policies(aws, name):
    trust = policy({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role = aws.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]
    managed = aws.iam.create_policy(PolicyName=f"{name}-read", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}))["Policy"]
    aws.iam.attach_role_policy(RoleName=name, PolicyArn=managed["Arn"])
    aws.iam.put_role_policy(RoleName=name, PolicyName="no-deletes", PolicyDocument=policy(
        {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}))
    extra = policy({"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*"})
    response = aws.iam.simulate_principal_policy(
        PolicySourceArn=role["Arn"], PolicyInputList=[extra],
        ActionNames=["s3:GetObject", "s3:DeleteObject", "s3:PutObject"], ResourceArns=[f"{BUCKET}/a.csv"])
    results = response["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "explicitDeny", "implicitDeny"]
    assert results[0]["MatchedStatements"] == [{"SourcePolicyId": f"{name}-read", "SourcePolicyType": "user-managed"}]
    assert results[1]["MatchedStatements"] == [{"SourcePolicyId": "no-deletes", "SourcePolicyType": "role"}]

    aws.iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=aws.iam.create_policy(
        PolicyName=f"{name}-boundary", PolicyDocument=policy(
            {"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}))["Policy"]["Arn"])
    capped = aws.iam.simulate_principal_policy(PolicySourceArn=role["Arn"], ActionNames=["s3:GetObject"],
                                               ResourceArns=[f"{BUCKET}/a.csv"])
    assert capped["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"


def test_principal_policy_of_a_user_includes_the_groups_policies(aws, name):
    aws.iam.create_user(UserName=name)
    aws.iam.create_group(GroupName=name)
    aws.iam.add_user_to_group(GroupName=name, UserName=name)
    aws.iam.put_group_policy(GroupName=name, PolicyName="describe", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sagemaker:Describe*", "Resource": "*"}))
    arn = aws.iam.get_user(UserName=name)["User"]["Arn"]
    response = aws.iam.simulate_principal_policy(PolicySourceArn=arn,
                                                 ActionNames=["sagemaker:DescribeModel", "sagemaker:DeleteModel"])
    assert [r["EvalDecision"] for r in response["EvaluationResults"]] == ["allowed", "implicitDeny"]
    assert response["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyType"] == "group"
    with pytest.raises(ClientError, match="NoSuchEntity"):
        aws.iam.simulate_principal_policy(PolicySourceArn=arn.replace(name, f"{name}-gone"), ActionNames=["s3:GetObject"])


def test_pagination(aws):
    allow_all = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
    first = aws.iam.simulate_custom_policy(PolicyInputList=[allow_all], ActionNames=actions, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 2
    rest = aws.iam.simulate_custom_policy(PolicyInputList=[allow_all], ActionNames=actions, MaxItems=2,
                                          Marker=first["Marker"])
    assert rest["IsTruncated"] is False
    assert [r["EvalActionName"] for r in first["EvaluationResults"] + rest["EvaluationResults"]] == actions


@pytest.mark.parametrize("document", [
    "{not json",
    json.dumps({"Version": "2012-10-17"}),
    policy({"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}),
    policy({"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}),
    policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}),
    policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringSortOf": {"a:b": "c"}}}),
])
def test_a_malformed_policy_is_a_malformed_policy_document_error(aws, document):
    with pytest.raises(ClientError) as raised:
        aws.iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=["s3:GetObject"])
    assert raised.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert "PolicyInputList.1" in raised.value.response["Error"]["Message"]
