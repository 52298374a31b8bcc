"""IAM policy evaluation for the policy simulator, following AWS's documented logic.

* Decision: an applicable explicit ``Deny`` in any policy wins; otherwise an applicable ``Allow`` in an identity
  policy (inside the permissions boundary, if any) or in the resource policy allows; otherwise the request is
  implicitly denied
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
* A statement applies when its ``Action``/``NotAction``, ``Resource``/``NotResource`` (and ``Principal`` in a
  resource policy) match and every condition holds. Values of one key are OR-ed; keys and operators are AND-ed.
* A condition on a key missing from the request context is false, except negated operators, ``...IfExists``,
  ``Null`` and ``ForAllValues:`` (true on an absent key)
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from dataclasses import dataclass, field
from functools import cache


class MalformedPolicy(ValueError):
    """A policy document that is not valid policy JSON."""


@dataclass(frozen=True)
class Policy:
    """A parsed policy and where it came from, as ``MatchedStatements`` names it."""

    source_id: str
    source_type: str
    statements: tuple[dict, ...]


@dataclass
class Outcome:
    decision: str  # allowed | explicitDeny | implicitDeny
    matched: list[tuple[Policy, dict]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    allowed_by_boundary: bool | None = None


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def parse_policy(text: str, source_id: str, source_type: str, resource_policy: bool = False) -> Policy:
    """The policy in ``text``, checked for the grammar IAM requires; :class:`MalformedPolicy` otherwise."""
    try:
        document = json.loads(text)
    except (TypeError, json.JSONDecodeError) as error:
        raise MalformedPolicy(f"{source_id}: the policy is not valid JSON ({error})") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise MalformedPolicy(f"{source_id}: a policy is a JSON object with a Statement")
    statements = tuple(_as_list(document["Statement"]))
    for statement in statements:
        _check_statement(statement, source_id, resource_policy)
    return Policy(source_id, source_type, statements)


def _check_statement(statement, source_id: str, resource_policy: bool) -> None:
    def fail(why):
        raise MalformedPolicy(f"{source_id}: {why}")

    if not isinstance(statement, dict):
        fail("each statement is a JSON object")
    if statement.get("Effect") not in ("Allow", "Deny"):
        fail("Effect must be Allow or Deny")
    if ("Action" in statement) == ("NotAction" in statement):
        fail("a statement has exactly one of Action and NotAction")
    if "Resource" in statement and "NotResource" in statement:
        fail("a statement has at most one of Resource and NotResource")
    if not resource_policy and "Resource" not in statement and "NotResource" not in statement:
        fail("an identity policy statement needs Resource or NotResource")
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    if resource_policy and not has_principal:
        fail("a resource policy statement needs a Principal")
    if has_principal and not resource_policy:
        fail("an identity policy must not specify a Principal")
    condition = statement.get("Condition", {})
    if not isinstance(condition, dict) or not all(isinstance(block, dict) for block in condition.values()):
        fail("Condition maps operators to {key: value(s)} blocks")
    for operator in condition:
        _split_operator(operator, source_id)


@cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern:
    """IAM wildcards: ``*`` matches any run of characters, ``?`` exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _wildcard(str(pattern), ignore_case).match(str(value)) is not None


def _arn_like(have: str, want: str) -> bool:
    """ARN operators compare the six colon-separated parts one by one, each with wildcards."""
    have_parts, want_parts = have.split(":", 5), want.split(":", 5)
    return len(have_parts) == len(want_parts) == 6 and all(map(matches, want_parts, have_parts))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> dt.datetime | None:
    number = _number(text)
    if number is not None:
        return dt.datetime.fromtimestamp(number, dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _ordered(parse, compare):
    def test(have: str, want: str) -> bool:
        a, b = parse(have), parse(want)
        return a is not None and b is not None and compare(a, b)

    return test


def _in_network(have: str, want: str) -> bool:
    try:
        return ipaddress.ip_address(have) in ipaddress.ip_network(want, strict=False)
    except ValueError:
        return False


_COMPARISONS = {"Equals": lambda a, b: a == b, "LessThan": lambda a, b: a < b,
                "LessThanEquals": lambda a, b: a <= b, "GreaterThan": lambda a, b: a > b,
                "GreaterThanEquals": lambda a, b: a >= b}
TESTS = {
    "StringEquals": lambda have, want: have == want,
    "StringEqualsIgnoreCase": lambda have, want: have.lower() == want.lower(),
    "StringLike": lambda have, want: matches(want, have),
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda have, want: have.lower() == want.lower(),
    "BinaryEquals": lambda have, want: have == want,
    "IpAddress": _in_network,
    **{f"Numeric{name}": _ordered(_number, compare) for name, compare in _COMPARISONS.items()},
    **{f"Date{name}": _ordered(_date, compare) for name, compare in _COMPARISONS.items()},
}
NEGATED = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
           "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
           "NumericNotEquals": "NumericEquals", "DateNotEquals": "DateEquals", "NotIpAddress": "IpAddress"}


def _split_operator(operator: str, source_id: str = "policy") -> tuple[str | None, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ("ForAnyValue", "StringLike", True)."""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists") and name != "Null"
    base = name.removesuffix("IfExists") if if_exists else name
    if qualifier not in ("", "ForAnyValue", "ForAllValues") or (base not in TESTS and base not in NEGATED
                                                                 and base != "Null"):
        raise MalformedPolicy(f"{source_id}: unknown condition operator {operator!r}")
    return qualifier or None, base, if_exists


def _text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def condition_holds(operator: str, key: str, wanted, context: dict[str, list[str]]) -> bool:
    """One key of one condition operator against the request context (keys lower-case)."""
    qualifier, base, if_exists = _split_operator(operator)
    values = context.get(key.lower())
    present = bool(values)
    if base == "Null":  # "true": the key must be absent; "false": it must be present
        return present != (_text(_as_list(wanted)[0]).lower() == "true")
    negated = base in NEGATED
    test = TESTS[NEGATED.get(base, base)]
    if not present:
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated
    wanted = [_text(w) for w in _as_list(wanted)]
    # a request value passes when it matches one of the policy's values (a negated operator: none of them)
    passes = [any(test(have, w) for w in wanted) != negated for have in values]
    if qualifier == "ForAllValues":
        return all(passes)
    if qualifier is None and negated:
        return all(passes)  # a value the policy names makes a negated single-valued test false
    return any(passes)


def _principal_matches(statement: dict, caller_arn: str | None) -> bool:
    def names(element):
        if element == "*":
            return ["*"]
        return [n for kind, value in element.items() if kind == "AWS" for n in _as_list(value)]

    def hit(name):
        if name == "*" or name == caller_arn:
            return True
        account = name.split(":")[4] if name.startswith("arn:") and name.endswith(":root") else name
        return account.isdigit() and caller_arn is not None and caller_arn.split(":")[4:5] == [account]

    if "Principal" in statement:
        return any(hit(n) for n in names(statement["Principal"]))
    return not any(hit(n) for n in names(statement["NotPrincipal"]))


def _targets(statement: dict, action: str, resource: str, caller_arn: str | None) -> bool:
    """Whether the statement is about this action, resource (and caller, in a resource policy)."""
    if "Action" in statement and not any(matches(a, action, True) for a in _as_list(statement["Action"])):
        return False
    if "NotAction" in statement and any(matches(a, action, True) for a in _as_list(statement["NotAction"])):
        return False
    if "Resource" in statement and not any(matches(r, resource) for r in _as_list(statement["Resource"])):
        return False
    if "NotResource" in statement and any(matches(r, resource) for r in _as_list(statement["NotResource"])):
        return False
    return "Principal" not in statement and "NotPrincipal" not in statement or _principal_matches(statement,
                                                                                                   caller_arn)


def _conditions_hold(statement: dict, context: dict[str, list[str]]) -> bool:
    return all(condition_holds(operator, key, wanted, context)
               for operator, block in statement.get("Condition", {}).items() for key, wanted in block.items())


def evaluate(action: str, resource: str, identity: list[Policy], context: dict[str, list[str]],
             boundaries: list[Policy] = (), resource_policy: Policy | None = None,
             caller_arn: str | None = None) -> Outcome:
    """The simulator's decision for one action on one resource."""
    missing: set[str] = set()
    applicable: dict[str, list[tuple[Policy, dict]]] = {"identity": [], "boundary": [], "resource": []}
    groups = {"identity": identity, "boundary": boundaries, "resource": [resource_policy] if resource_policy else []}
    for group, policies in groups.items():
        for policy in policies:
            for statement in policy.statements:
                if not _targets(statement, action, resource, caller_arn):
                    continue
                missing |= {key for block in statement.get("Condition", {}).values() for key in block
                            if not context.get(key.lower())}
                if _conditions_hold(statement, context):
                    applicable[group].append((policy, statement))
    found = [hit for hits in applicable.values() for hit in hits]
    denies = [hit for hit in found if hit[1]["Effect"] == "Deny"]
    allows = {group: [hit for hit in hits if hit[1]["Effect"] == "Allow"] for group, hits in applicable.items()}
    in_boundary = bool(allows["boundary"]) if boundaries else None
    outcome = Outcome("implicitDeny", missing=sorted(missing), allowed_by_boundary=in_boundary)
    if denies:
        outcome.decision, outcome.matched = "explicitDeny", denies
    elif allows["identity"] and in_boundary is not False or allows["resource"]:
        outcome.decision = "allowed"
        outcome.matched = (allows["identity"] if in_boundary is not False else []) + allows["resource"]
    return outcome
