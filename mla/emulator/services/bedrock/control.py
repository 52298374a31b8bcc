"""Bedrock control plane pieces moto lacks: guardrails (create, get, list, update, version, delete) and the
foundation-model catalogue. API: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateGuardrail.html"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re

from mla.genai.guardrails import Guardrail
from mla.genai.models import MODELS, model_from_identifier

from .common import invalid, not_found, operation, state

_POLICY_NAMES = {"topicPolicyConfig": "topicPolicy", "contentPolicyConfig": "contentPolicy",
                 "wordPolicyConfig": "wordPolicy", "sensitiveInformationPolicyConfig": "sensitiveInformationPolicy",
                 "contextualGroundingPolicyConfig": "contextualGroundingPolicy"}
_LIST_NAMES = {"topicsConfig": "topics", "filtersConfig": "filters", "wordsConfig": "words",
               "managedWordListsConfig": "managedWordLists", "piiEntitiesConfig": "piiEntities",
               "regexesConfig": "regexes", "tierConfig": "tier"}
_CONFIG_KEYS = (*_POLICY_NAMES, "blockedInputMessaging", "blockedOutputsMessaging", "name", "description")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _guardrail_id(ctx, name: str) -> str:
    return hashlib.sha256(f"{ctx.account_id}/{ctx.region}/{name}".encode()).hexdigest()[:12]


def find_guardrail(ctx, identifier: str, version: str | None = None) -> tuple[str, dict]:
    """(guardrail id, stored version record) for an id or ARN and a version ("DRAFT" when omitted)."""
    guardrail_id = identifier.rsplit("/", 1)[-1]
    stored = state(ctx).guardrails.get(guardrail_id)
    if stored is None:
        raise not_found("Guardrail", identifier)
    record = stored["versions"].get(version or "DRAFT")
    if record is None:
        raise not_found(f"Version {version} of guardrail", identifier)
    return guardrail_id, record


def guardrail_for(ctx, identifier: str, version: str | None) -> tuple[str, Guardrail]:
    guardrail_id, record = find_guardrail(ctx, identifier, version)
    return guardrail_id, Guardrail(record["config"])


def _check_config(params: dict) -> None:
    if not any(params.get(k) for k in _POLICY_NAMES):
        raise invalid("At least one policy (topic, content, word, sensitive information or contextual grounding) "
                      "must be configured.")
    for rule in (params.get("sensitiveInformationPolicyConfig") or {}).get("regexesConfig", []):
        try:
            re.compile(rule["pattern"])
        except re.error as error:
            raise invalid(f"Regex {rule['name']!r} is not a valid pattern: {error}.") from None


@operation("bedrock", "CreateGuardrail")
def create_guardrail(params, ctx):
    _check_config(params)
    guardrail_id = _guardrail_id(ctx, params["name"])
    store = state(ctx)
    with store.lock:
        if guardrail_id in store.guardrails:
            raise invalid(f"A guardrail named {params['name']} already exists.")
        now = _now()
        arn = f"arn:aws:bedrock:{ctx.region}:{ctx.account_id}:guardrail/{guardrail_id}"
        config = {k: copy.deepcopy(params[k]) for k in _CONFIG_KEYS if k in params}
        store.guardrails[guardrail_id] = {"arn": arn, "createdAt": now, "next_version": 1,
                                          "versions": {"DRAFT": {"config": config, "version": "DRAFT",
                                                                 "createdAt": now, "updatedAt": now}}}
    return {"guardrailId": guardrail_id, "guardrailArn": arn, "version": "DRAFT", "createdAt": now}


def _describe(guardrail_id: str, stored: dict, record: dict) -> dict:
    config = record["config"]
    out = {"name": config["name"], "guardrailId": guardrail_id, "guardrailArn": stored["arn"],
           "version": record["version"], "status": "READY", "createdAt": record["createdAt"],
           "updatedAt": record["updatedAt"], "blockedInputMessaging": config["blockedInputMessaging"],
           "blockedOutputsMessaging": config["blockedOutputsMessaging"]}
    if "description" in config:
        out["description"] = config["description"]
    for key, name in _POLICY_NAMES.items():
        if config.get(key):
            out[name] = {_LIST_NAMES.get(k, k): v for k, v in config[key].items()}
    return out


@operation("bedrock", "GetGuardrail")
def get_guardrail(params, ctx):
    guardrail_id, record = find_guardrail(ctx, params["guardrailIdentifier"], params.get("guardrailVersion"))
    return _describe(guardrail_id, state(ctx).guardrails[guardrail_id], record)


@operation("bedrock", "ListGuardrails")
def list_guardrails(params, ctx):
    summaries = []
    for guardrail_id, stored in sorted(state(ctx).guardrails.items()):
        if params.get("guardrailIdentifier") and params["guardrailIdentifier"].rsplit("/", 1)[-1] != guardrail_id:
            continue
        versions = stored["versions"].values() if params.get("guardrailIdentifier") else [stored["versions"]["DRAFT"]]
        for record in versions:
            summaries.append({"id": guardrail_id, "arn": stored["arn"], "status": "READY",
                              "name": record["config"]["name"], "version": record["version"],
                              "createdAt": record["createdAt"], "updatedAt": record["updatedAt"]})
    return {"guardrails": summaries}


@operation("bedrock", "UpdateGuardrail")
def update_guardrail(params, ctx):
    _check_config(params)
    guardrail_id, record = find_guardrail(ctx, params["guardrailIdentifier"])
    record["config"] = {k: copy.deepcopy(params[k]) for k in _CONFIG_KEYS if k in params}
    record["updatedAt"] = _now()
    return {"guardrailId": guardrail_id, "guardrailArn": state(ctx).guardrails[guardrail_id]["arn"],
            "version": "DRAFT", "updatedAt": record["updatedAt"]}


@operation("bedrock", "CreateGuardrailVersion")
def create_guardrail_version(params, ctx):
    guardrail_id, draft = find_guardrail(ctx, params["guardrailIdentifier"])
    stored = state(ctx).guardrails[guardrail_id]
    with state(ctx).lock:
        version = str(stored["next_version"])
        stored["next_version"] += 1
        now = _now()
        stored["versions"][version] = {"config": copy.deepcopy(draft["config"]), "version": version,
                                       "createdAt": now, "updatedAt": now}
    return {"guardrailId": guardrail_id, "version": version}


@operation("bedrock", "DeleteGuardrail")
def delete_guardrail(params, ctx):
    guardrail_id, _ = find_guardrail(ctx, params["guardrailIdentifier"], params.get("guardrailVersion"))
    stored = state(ctx).guardrails[guardrail_id]
    if params.get("guardrailVersion") and params["guardrailVersion"] != "DRAFT":
        del stored["versions"][params["guardrailVersion"]]
    else:
        del state(ctx).guardrails[guardrail_id]
    return {}


def _summary(ctx, model) -> dict:
    return {"modelArn": f"arn:aws:bedrock:{ctx.region}::foundation-model/{model.model_id}",
            "modelId": model.model_id, "modelName": model.name, "providerName": model.provider,
            "inputModalities": ["TEXT"], "outputModalities": ["EMBEDDING" if model.kind == "embedding" else "TEXT"],
            "responseStreamingSupported": False, "customizationsSupported": [],
            "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "ACTIVE"}}


@operation("bedrock", "ListFoundationModels")
def list_foundation_models(params, ctx):
    """The models the local backend can answer for (its stand-ins), not every model Bedrock offers."""
    summaries = [_summary(ctx, m) for m in MODELS.values()]
    if params.get("byProvider"):
        summaries = [s for s in summaries if s["providerName"].lower() == params["byProvider"].lower()]
    if params.get("byOutputModality"):
        summaries = [s for s in summaries if params["byOutputModality"] in s["outputModalities"]]
    if params.get("byInferenceType"):
        summaries = [s for s in summaries if params["byInferenceType"] in s["inferenceTypesSupported"]]
    if params.get("byCustomizationType"):
        summaries = []
    return {"modelSummaries": summaries}


@operation("bedrock", "GetFoundationModel")
def get_foundation_model(params, ctx):
    model = model_from_identifier(params["modelIdentifier"])
    if model is None:
        raise not_found("Foundation model", params["modelIdentifier"])
    return {"modelDetails": _summary(ctx, model)}
