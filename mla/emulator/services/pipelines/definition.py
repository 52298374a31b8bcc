"""A pipeline definition (the JSON SDK v3's ``Pipeline.definition()`` produces) read into what an execution needs:
the parameters with their defaults, every step (condition branches included) and what each step waits for.

Format: https://aws-sagemaker-mlops.github.io/sagemaker-model-building-pipeline-definition-JSON-schema/ — a step
waits for the steps in its ``DependsOn`` and for every step whose properties its arguments read (``Get:
Steps.<name>...``); a step inside a condition's ``IfSteps``/``ElseSteps`` also waits for that condition and runs
only on the branch it chose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ...protocol import ServiceError

PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")
RUNNABLE_TYPES = ("Processing", "Training", "Tuning", "Model", "RegisterModel", "Transform", "Condition", "Fail",
                  "QualityCheck")


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


@dataclass
class StepSpec:
    name: str
    type: str
    raw: dict
    waits_for: set[str] = field(default_factory=set)
    branch: tuple[str, str] | None = None  # (condition step, "IfSteps" or "ElseSteps") for branch steps

    @property
    def arguments(self):
        return self.raw.get("Arguments") or {}


@dataclass
class Definition:
    text: str
    parameters: dict[str, dict]
    steps: dict[str, StepSpec]


def step_references(value) -> set[str]:
    """The step names a value reads with ``Get: Steps.<name>...``."""
    found: set[str] = set()
    if isinstance(value, dict):
        get = value.get("Get")
        if isinstance(get, str) and get.startswith("Steps."):
            found.add(get.split(".")[1])
        for item in value.values():
            found |= step_references(item)
    elif isinstance(value, list):
        for item in value:
            found |= step_references(item)
    return found


def parse(text: str) -> Definition:
    try:
        document = json.loads(text)
    except (TypeError, ValueError) as error:
        raise invalid(f"The pipeline definition is not valid JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Steps"), list):
        raise invalid("The pipeline definition must be a JSON object with a 'Steps' list.")
    parameters = {}
    for parameter in document.get("Parameters") or []:
        if parameter.get("Type", "String") not in PARAMETER_TYPES:
            raise invalid(f"Parameter {parameter.get('Name')} has an unknown type {parameter.get('Type')}.")
        parameters[parameter["Name"]] = parameter
    steps: dict[str, StepSpec] = {}
    _collect(document["Steps"], steps, branch=None)
    for spec in steps.values():
        spec.waits_for |= set(spec.raw.get("DependsOn") or []) | _own_references(spec.raw)
        if spec.branch:
            spec.waits_for.add(spec.branch[0])
        unknown = spec.waits_for - steps.keys()
        if unknown:
            raise invalid(f"Step {spec.name} refers to steps that are not in the pipeline: {sorted(unknown)}.")
    _check_acyclic(steps)
    return Definition(text, parameters, steps)


def _own_references(raw: dict) -> set[str]:
    """What the step itself reads: a Condition's branches are steps of their own, not part of its arguments."""
    arguments = raw.get("Arguments") or {}
    if raw["Type"] == "Condition":
        arguments = arguments.get("Conditions")
    fields = {key: value for key, value in raw.items() if key not in ("Name", "Type", "DependsOn", "Arguments")}
    return step_references(arguments) | step_references(fields)


def _collect(raw_steps: list, steps: dict[str, StepSpec], branch: tuple[str, str] | None) -> None:
    for raw in raw_steps:
        name, kind = raw.get("Name"), raw.get("Type")
        if not name or not kind:
            raise invalid("Every step needs a Name and a Type.")
        if name in steps:
            raise invalid(f"Step names must be unique within a pipeline: {name} appears twice.")
        if kind not in RUNNABLE_TYPES:
            raise invalid(f"Step {name}: the local backend runs the step types {', '.join(RUNNABLE_TYPES)}, "
                          f"not {kind}.")
        steps[name] = StepSpec(name, kind, raw, branch=branch)
        if kind == "Condition" and not isinstance(raw.get("Arguments", {}).get("Conditions"), list):
            raise invalid(f"Condition step {name} needs a list of Conditions in its Arguments.")
        if kind == "Condition":
            for side in ("IfSteps", "ElseSteps"):
                _collect(raw.get("Arguments", {}).get(side) or [], steps, branch=(name, side))


def _check_acyclic(steps: dict[str, StepSpec]) -> None:
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise invalid(f"The pipeline's steps depend on each other in a cycle (through {name}).")
        visiting.add(name)
        for other in steps[name].waits_for:
            visit(other)
        visiting.discard(name)
        done.add(name)

    for step_name in steps:
        visit(step_name)


def parameter_values(definition: Definition, overrides: list[dict] | None) -> dict:
    """Each parameter's value for an execution: the override given at start, else its default, typed."""
    given = {item["Name"]: item["Value"] for item in overrides or []}
    unknown = given.keys() - definition.parameters.keys()
    if unknown:
        raise invalid(f"Parameters {sorted(unknown)} are not defined in the pipeline definition.")
    values = {}
    for name, parameter in definition.parameters.items():
        if name in given:
            values[name] = _typed(name, parameter.get("Type", "String"), given[name])
        elif "DefaultValue" in parameter:
            values[name] = parameter["DefaultValue"]
        else:
            raise invalid(f"Parameter {name} has no default value and no value was given for it.")
    return values


def _typed(name: str, kind: str, text: str):
    try:
        if kind == "Integer":
            return int(text)
        if kind == "Float":
            return float(text)
    except ValueError:
        raise invalid(f"Parameter {name} is of type {kind}; '{text}' is not.") from None
    if kind == "Boolean":
        if str(text).lower() not in ("true", "false"):
            raise invalid(f"Parameter {name} is of type Boolean; '{text}' is not.")
        return str(text).lower() == "true"
    return text
