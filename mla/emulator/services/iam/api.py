"""``SimulateCustomPolicy`` and ``SimulatePrincipalPolicy`` as methods of moto's IAM responses.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.iam.exceptions import InvalidInput, MalformedPolicyDocument
from moto.iam.responses import IamResponse

from .evaluation import MalformedPolicy, Policy, evaluate, parse_policy


def _parse(text: str, source_id: str, source_type: str, resource_policy: bool = False) -> Policy:
    try:
        return parse_policy(text, source_id, source_type, resource_policy)
    except MalformedPolicy as error:
        raise MalformedPolicyDocument(str(error)) from None


def _inputs(response: IamResponse, parameter: str) -> list[Policy]:
    return [_parse(text, f"{parameter}.{n}", "none") for n, text in enumerate(response._get_param(parameter) or [], 1)]


def _context(entries) -> dict[str, list[str]]:
    """``ContextEntries`` as lower-case key -> values (condition keys are case-insensitive)."""
    context: dict[str, list[str]] = {}
    for entry in entries or []:
        context[entry["ContextKeyName"].lower()] = [str(v) for v in entry.get("ContextKeyValues") or []]
    return context


def _managed(policy) -> Policy:
    document = next(v.document for v in policy.versions if v.is_default)
    kind = "aws-managed" if policy.arn.split(":")[4] == "aws" else "user-managed"
    return _parse(document, policy.name, kind)


def _principal_policies(backend, arn: str) -> tuple[list[Policy], list[Policy]]:
    """The identity policies and the permissions boundary of the user, group or role ``arn`` names."""
    kind, name = arn.split(":", 5)[5].split("/", 1)[0], arn.rsplit("/", 1)[-1]
    if kind == "user":
        entity = backend.get_user(name)
        groups = backend.get_groups_for_user(name)
    elif kind == "role":
        entity, groups = backend.get_role(name), []
    elif kind == "group":
        entity, groups = backend.get_group(name), []
    else:
        raise InvalidInput(f"PolicySourceArn {arn} is not the ARN of an IAM user, group or role")
    policies = [_parse(doc, policy_name, kind) for policy_name, doc in entity.policies.items()]
    policies += [_managed(p) for p in entity.managed_policies.values()]
    for group in groups:
        policies += [_parse(doc, policy_name, "group") for policy_name, doc in group.policies.items()]
        policies += [_managed(p) for p in group.managed_policies.values()]
    boundary_arn = getattr(entity, "permissions_boundary_arn", None)
    boundaries = [_managed(backend.get_policy(boundary_arn))] if boundary_arn else []
    return policies, boundaries


def _simulate(response: IamResponse, identity: list[Policy], boundaries: list[Policy],
              caller_arn: str | None) -> ActionResult:
    get = response._get_param
    resource_policy = None
    if get("ResourcePolicy"):
        if not caller_arn:
            raise InvalidInput("CallerArn is required when a ResourcePolicy is simulated")
        resource_policy = _parse(get("ResourcePolicy"), "ResourcePolicy", "resource", resource_policy=True)
    context = _context(get("ContextEntries"))
    results = []
    for action in get("ActionNames") or []:
        for resource in get("ResourceArns") or ["*"]:
            outcome = evaluate(action, resource, identity, context, boundaries, resource_policy, caller_arn)
            result = {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": outcome.decision,
                      "MatchedStatements": [{"SourcePolicyId": policy.source_id,
                                             "SourcePolicyType": policy.source_type}
                                            for policy, _ in outcome.matched],
                      "MissingContextValues": outcome.missing}
            if outcome.allowed_by_boundary is not None:
                result["PermissionsBoundaryDecisionDetail"] = {
                    "AllowedByPermissionsBoundary": outcome.allowed_by_boundary}
            results.append(result)
    start = int(get("Marker") or 0)
    end = start + int(get("MaxItems") or 100)
    page = {"EvaluationResults": results[start:end], "IsTruncated": end < len(results)}
    if end < len(results):
        page["Marker"] = str(end)
    return ActionResult(page)


def simulate_custom_policy(self: IamResponse) -> ActionResult:
    return _simulate(self, _inputs(self, "PolicyInputList"), _inputs(self, "PermissionsBoundaryPolicyInputList"),
                     self._get_param("CallerArn"))


def simulate_principal_policy(self: IamResponse) -> ActionResult:
    source = self._get_param("PolicySourceArn")
    policies, boundaries = _principal_policies(self.backend, source)
    caller = self._get_param("CallerArn") or (source if ":user/" in source else None)
    return _simulate(self, policies + _inputs(self, "PolicyInputList"),
                     _inputs(self, "PermissionsBoundaryPolicyInputList") or boundaries, caller)


IamResponse.simulate_custom_policy = simulate_custom_policy
IamResponse.simulate_principal_policy = simulate_principal_policy
