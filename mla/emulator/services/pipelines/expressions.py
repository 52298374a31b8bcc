"""Values in a pipeline definition, resolved at run time: ``{"Get": "Parameters.X"}``, ``{"Get": "Execution.X"}``,
``{"Get": "Steps.<step>.<property path>"}``, ``Std:Join`` and ``Std:JsonGet``, and the conditions a Condition step
evaluates (``Equals``, ``GreaterThan``, ``GreaterThanOrEqualTo``, ``LessThan``, ``LessThanOrEqualTo``, ``In``,
``Not``, ``Or``).

A property path names a field of the step's ``Describe*`` response, lists indexed by position (``[0]``) or by the
name of the item (``Outputs['train']``, ``FinalMetricDataList['validation:rmse']``), as in
https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html and the definition schema
https://aws-sagemaker-mlops.github.io/sagemaker-model-building-pipeline-definition-JSON-schema/.
"""

from __future__ import annotations

import re
from typing import Protocol

_TOKEN = re.compile(r"\.?([A-Za-z0-9_:\-]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


class StepError(Exception):
    """The step cannot run or failed; ``reason`` becomes its ``FailureReason``, ``metadata`` its ``Metadata``."""

    def __init__(self, reason: str, metadata: dict | None = None):
        super().__init__(reason)
        self.reason, self.metadata = reason, metadata or {}


class Scope(Protocol):
    parameters: dict
    variables: dict
    properties: dict  # step name -> its Describe* response

    def read_json(self, step: str, property_file: str) -> object: ...

    def read_json_uri(self, s3_uri: str) -> object: ...


def path_tokens(path: str) -> list:
    tokens, position = [], 0
    while position < len(path):
        found = _TOKEN.match(path, position)
        if not found:
            raise StepError(f"Cannot read the property path '{path}' at '{path[position:]}'.")
        word, index, quoted, double_quoted = found.groups()
        tokens.append(int(index) if index is not None else word if word is not None else
                      quoted if quoted is not None else double_quoted)
        position = found.end()
    return tokens


def walk(value, tokens: list, where: str):
    """Follow ``tokens`` into ``value``; a string index into a list picks the item that names itself so."""
    for token in tokens:
        if isinstance(token, int) and isinstance(value, list) and token < len(value):
            value = value[token]
        elif isinstance(value, dict) and isinstance(token, str) and token in value:
            value = value[token]
        elif isinstance(value, list) and isinstance(token, str):
            matches = [item for item in value if isinstance(item, dict) and any(
                key.endswith("Name") and item[key] == token for key in item)]
            if not matches:
                raise StepError(f"{where}: no item named '{token}'.")
            value = matches[0]
        else:
            raise StepError(f"{where}: '{token}' is not available.")
    return value


def lookup(reference: str, scope: Scope):
    kind, _, rest = reference.partition(".")
    if kind == "Parameters":
        if rest not in scope.parameters:
            raise StepError(f"Parameter {rest} is not defined.")
        return scope.parameters[rest]
    if kind == "Execution":
        if rest not in scope.variables:
            raise StepError(f"Execution variable {rest} is not available.")
        return scope.variables[rest]
    if kind == "Steps":
        step, _, path = rest.partition(".")
        if step not in scope.properties:
            raise StepError(f"Step {step} has no properties: it did not run successfully.")
        return walk(scope.properties[step], path_tokens(path), f"Steps.{step}.{path}")
    raise StepError(f"Cannot resolve '{reference}'.")


def resolve(value, scope: Scope):
    """The value with every ``Get`` and function replaced by what it stands for in this execution."""
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Get"}:
        return lookup(value["Get"], scope)
    if set(value) == {"Std:Join"}:
        spec = value["Std:Join"]
        return str(spec.get("On", "")).join(as_text(resolve(item, scope)) for item in spec.get("Values") or [])
    if set(value) == {"Std:JsonGet"}:
        return _json_get(value["Std:JsonGet"], scope)
    return {key: resolve(item, scope) for key, item in value.items()}


def as_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_get(spec: dict, scope: Scope):
    path = spec.get("Path", "")
    if "PropertyFile" in spec:
        reference = spec["PropertyFile"].get("Get", "") if isinstance(spec["PropertyFile"], dict) else ""
        parts = reference.split(".")
        if len(parts) != 4 or parts[0] != "Steps" or parts[2] != "PropertyFiles":
            raise StepError(f"Std:JsonGet needs PropertyFile {{'Get': 'Steps.<step>.PropertyFiles.<name>'}}, "
                            f"not {spec['PropertyFile']}.")
        document = scope.read_json(parts[1], parts[3])
    elif "S3Uri" in spec:
        document = scope.read_json_uri(resolve(spec["S3Uri"], scope))
    else:
        raise StepError("Std:JsonGet needs a PropertyFile or an S3Uri.")
    return walk(document, path_tokens(path), f"Std:JsonGet path '{path}'")


_COMPARISONS = {
    "Equals": lambda left, right: left == right,
    "GreaterThan": lambda left, right: left > right,
    "GreaterThanOrEqualTo": lambda left, right: left >= right,
    "LessThan": lambda left, right: left < right,
    "LessThanOrEqualTo": lambda left, right: left <= right,
}


def holds(condition: dict, scope: Scope) -> bool:
    kind = condition.get("Type")
    if kind in _COMPARISONS:
        left, right = _comparable(resolve(condition.get("LeftValue"), scope),
                                  resolve(condition.get("RightValue"), scope))
        try:
            return _COMPARISONS[kind](left, right)
        except TypeError:
            raise StepError(f"Condition {kind} cannot compare {left!r} with {right!r}.") from None
    if kind == "In":
        query = resolve(condition.get("QueryValue"), scope)
        pairs = (_comparable(query, resolve(item, scope)) for item in condition.get("Values") or [])
        return any(left == right for left, right in pairs)
    if kind == "Not":
        return not holds(condition.get("Condition") or {}, scope)
    if kind == "Or":
        return any(holds(item, scope) for item in condition.get("Conditions") or [])
    raise StepError(f"Unknown condition type {kind}.")


def _comparable(left, right):
    """Numbers read from a JSON file or a parameter compare as numbers, whichever side is text."""
    if isinstance(left, (int, float)) != isinstance(right, (int, float)):
        try:
            return float(left), float(right)
        except (TypeError, ValueError):
            return left, right
    return left, right
