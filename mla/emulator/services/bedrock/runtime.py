"""bedrock-runtime: InvokeModel (embeddings and text), Converse and ApplyGuardrail.

Embedding bodies follow the Titan and Cohere model parameter pages
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html,
https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed-v3.html). Text models answer
with :mod:`mla.genai.generation`, the extractive local stand-in, in each model family's body format and in
Converse's shape (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html); every
text response carries the stand-in notice.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import defaultdict, deque

import numpy as np

from mla.genai.embeddings import embed
from mla.genai.generation import STAND_IN_NOTICE, Generation, generate
from mla.genai.models import ModelInfo, model_from_identifier
from mla.genai.tokens import count_tokens

from ...protocol import ServiceError
from .common import invalid, operation
from .control import guardrail_for

RATE_LIMIT_VARIABLE = "MLA_BEDROCK_REQUESTS_PER_MINUTE"
_recent_calls: dict[str, deque] = defaultdict(deque)
_rate_lock = threading.Lock()


def _throttle(model_id: str) -> None:
    """Optional per-model request quota, so learners can practise retry-with-backoff on ThrottlingException."""
    limit = int(os.environ.get(RATE_LIMIT_VARIABLE) or 0)
    if limit <= 0:
        return
    now = time.monotonic()
    with _rate_lock:
        calls = _recent_calls[model_id]
        while calls and now - calls[0] > 60:
            calls.popleft()
        if len(calls) >= limit:
            raise ServiceError("ThrottlingException", "Too many requests, please wait before trying again.", 429)
        calls.append(now)


def resolve_model(identifier: str, kind: str | None = None) -> ModelInfo:
    model = model_from_identifier(identifier)
    if model is None:
        raise invalid("The provided model identifier is invalid.")
    if kind and model.kind != kind:
        raise invalid("This action doesn't support the model that you provided.")
    _throttle(model.model_id)
    return model


def _malformed(detail: str) -> ServiceError:
    return invalid(f"Malformed input request: {detail}, please reformat your input and try again.")


def _embedding_body(model: ModelInfo, request: dict) -> dict:
    if model.body_format == "titan-embed":
        text = request.get("inputText")
        if not isinstance(text, str) or not text:
            raise _malformed("#: required key [inputText] not found")
        tokens = count_tokens(text)
        if tokens > model.context_tokens:
            raise invalid(f"Too many input tokens. Max input tokens: {model.context_tokens}, request input token "
                          f"count: {tokens}")
        dimensions = request.get("dimensions", model.dimensions[0])
        if dimensions not in model.dimensions:
            raise _malformed(f"#/dimensions: {dimensions} is not a valid enum value ({list(model.dimensions)})")
        vector = embed([text], dimensions, normalize=request.get("normalize", True))[0]
        body = {"embedding": vector.tolist(), "inputTextTokenCount": tokens}
        if model.model_id.endswith("v2:0"):
            types = request.get("embeddingTypes", ["float"])
            body["embeddingsByType"] = {t: vector.tolist() if t == "float" else (vector > 0).astype(int).tolist()
                                        for t in types}
        return body
    texts, input_type = request.get("texts"), request.get("input_type")
    if not isinstance(texts, list) or not 0 < len(texts) <= 96 or not all(isinstance(t, str) for t in texts):
        raise _malformed("#/texts: expected a list of 1 to 96 strings")
    if input_type not in ("search_document", "search_query", "classification", "clustering"):
        raise _malformed("#: required key [input_type] not found or not a valid value")
    if any(len(t) > 2048 for t in texts):
        raise _malformed("#/texts: each text must have at most 2048 characters")
    vectors = embed(texts, model.dimensions[0])
    body = {"id": str(uuid.uuid4()), "texts": texts}
    types = request.get("embedding_types")
    if not types:
        return {**body, "embeddings": vectors.tolist(), "response_type": "embeddings_floats"}
    by_type = {}
    for kind in types:
        if kind == "float":
            by_type[kind] = vectors.tolist()
        elif kind == "int8":
            by_type[kind] = np.clip(np.round(vectors * 127 / np.abs(vectors).max(initial=1e-12)), -128, 127
                                    ).astype(int).tolist()
        else:
            raise _malformed(f"#/embedding_types: {kind} is not supported by the local stand-in (float, int8)")
    return {**body, "embeddings": by_type, "response_type": "embeddings_by_type"}


def _text_of(content) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if "text" in block:
            parts.append(block["text"] if isinstance(block["text"], str) else block["text"].get("text", ""))
        elif "guardContent" in block:
            parts.append(block["guardContent"].get("text", {}).get("text", ""))
    return "\n".join(parts)


def _conversation(messages: list[dict], system: str) -> tuple[str, str]:
    """(last user turn, everything else) from a message list."""
    if not messages or messages[-1].get("role") != "user":
        raise invalid("A conversation must end with a user message.")
    earlier = [_text_of(m.get("content")) for m in messages[:-1]]
    return _text_of(messages[-1].get("content")), "\n".join([system, *earlier]).strip()


def run_text_model(model: ModelInfo, prompt: str, context: str, max_tokens: int | None,
                   stop_sequences: list[str] | None) -> Generation:
    input_tokens = count_tokens(prompt) + count_tokens(context)
    if input_tokens > model.context_tokens:
        raise invalid("Input is too long for requested model.")
    limit = model.max_output_tokens if max_tokens is None else max_tokens
    if not 0 < limit <= model.max_output_tokens:
        raise invalid(f"The maximum tokens you requested exceeds the model limit of {model.max_output_tokens}."
                      if limit > 0 else "The maximum number of tokens must be at least 1.")
    return generate(prompt, context, input_tokens, limit, stop_sequences)


_ANTHROPIC_STOP = {"end_turn": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence"}
_TITAN_STOP = {"end_turn": "FINISH", "max_tokens": "LENGTH", "stop_sequence": "STOP_CRITERIA_MET"}
_LLAMA_STOP = {"end_turn": "stop", "max_tokens": "length", "stop_sequence": "stop"}


def _text_body(model: ModelInfo, request: dict) -> dict:
    fmt = model.body_format
    if fmt == "anthropic":
        if "messages" not in request or "max_tokens" not in request:
            raise _malformed("#: required key [messages] or [max_tokens] not found")
        system = request.get("system", "")
        prompt, context = _conversation(request["messages"], system if isinstance(system, str) else _text_of(system))
        out = run_text_model(model, prompt, context, request["max_tokens"], request.get("stop_sequences"))
        return {"id": f"msg_bdrk_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant",
                "model": model.model_id, "content": [{"type": "text", "text": out.text}],
                "stop_reason": _ANTHROPIC_STOP[out.stop_reason], "stop_sequence": out.stop_sequence,
                "usage": {"input_tokens": out.input_tokens, "output_tokens": out.output_tokens},
                "mla_local_stand_in": STAND_IN_NOTICE}
    if fmt == "nova":
        if "messages" not in request:
            raise _malformed("#: required key [messages] not found")
        config = request.get("inferenceConfig", {})
        prompt, context = _conversation(request["messages"], _text_of(request.get("system", [])))
        out = run_text_model(model, prompt, context, config.get("maxTokens", config.get("max_new_tokens")),
                             config.get("stopSequences"))
        return {"output": {"message": {"role": "assistant", "content": [{"text": out.text}]}},
                "stopReason": out.stop_reason,
                "usage": {"inputTokens": out.input_tokens, "outputTokens": out.output_tokens,
                          "totalTokens": out.input_tokens + out.output_tokens},
                "mla_local_stand_in": STAND_IN_NOTICE}
    if fmt == "titan-text":
        if not isinstance(request.get("inputText"), str):
            raise _malformed("#: required key [inputText] not found")
        config = request.get("textGenerationConfig", {})
        out = run_text_model(model, request["inputText"], "", config.get("maxTokenCount", 512),
                             config.get("stopSequences"))
        return {"inputTextTokenCount": out.input_tokens,
                "results": [{"tokenCount": out.output_tokens, "outputText": out.text,
                             "completionReason": _TITAN_STOP[out.stop_reason]}],
                "mla_local_stand_in": STAND_IN_NOTICE}
    if not isinstance(request.get("prompt"), str):  # llama
        raise _malformed("#: required key [prompt] not found")
    out = run_text_model(model, request["prompt"], "", request.get("max_gen_len", 512), None)
    return {"generation": out.text, "prompt_token_count": out.input_tokens,
            "generation_token_count": out.output_tokens, "stop_reason": _LLAMA_STOP[out.stop_reason],
            "mla_local_stand_in": STAND_IN_NOTICE}


@operation("bedrock-runtime", "InvokeModel")
def invoke_model(params, ctx):
    model = resolve_model(params["modelId"])
    try:
        request = json.loads(params.get("body") or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _malformed(f"body is not valid JSON ({error.msg if hasattr(error, 'msg') else error})") from None
    if not isinstance(request, dict):
        raise _malformed("#: expected a JSON object")
    body = _embedding_body(model, request) if model.kind == "embedding" else _text_body(model, request)
    if model.kind == "text" and params.get("guardrailIdentifier"):
        body = _guard_invoke(ctx, params, body)
    return {"body": json.dumps(body).encode(), "contentType": "application/json"}


def _guard_invoke(ctx, params, body):
    """InvokeModel with a guardrail: screen the generated text; replace it with the blocked message if needed."""
    _, guardrail = guardrail_for(ctx, params["guardrailIdentifier"], params.get("guardrailVersion"))
    text_paths = {"anthropic": ("content", 0, "text"), "nova": ("output", "message", "content", 0, "text"),
                  "titan-text": ("results", 0, "outputText"), "llama": ("generation",)}
    path = text_paths[resolve_model(params["modelId"]).body_format]
    holder = body
    for key in path[:-1]:
        holder = holder[key]
    result = guardrail.apply([{"text": {"text": holder[path[-1]]}}], "OUTPUT")
    if result["action"] == "GUARDRAIL_INTERVENED":
        holder[path[-1]] = result["outputs"][0]["text"]
        body["amazon-bedrock-guardrailAction"] = "INTERVENED"
    return body


def _guarded_blocks(messages, system) -> list[dict]:
    """The user content a guardrail screens: guardContent blocks if any are present, otherwise all text."""
    blocks = [b["guardContent"] for m in messages for b in m.get("content", []) if "guardContent" in b]
    blocks += [b["guardContent"] for b in system if "guardContent" in b]
    if blocks:
        return blocks
    last = messages[-1] if messages else {"content": []}
    return [{"text": {"text": b["text"]}} for b in last.get("content", []) if "text" in b]


@operation("bedrock-runtime", "Converse")
def converse(params, ctx):
    started = time.perf_counter()
    model = resolve_model(params["modelId"], "text")
    messages, system = params["messages"], params.get("system", [])
    config = params.get("inferenceConfig", {})
    guard = params.get("guardrailConfig")
    trace = {}
    if guard:
        guardrail_id, guardrail = guardrail_for(ctx, guard["guardrailIdentifier"], guard["guardrailVersion"])
        screened = guardrail.apply(_guarded_blocks(messages, system), "INPUT")
        if guard.get("trace", "disabled") != "disabled":
            trace = {"guardrail": {"inputAssessment": {guardrail_id: (screened["assessments"] or [{}])[0]}}}
        if blocked_by_guardrail(screened):
            return _converse_response(model, screened["outputs"][0]["text"], 0, 0, "guardrail_intervened",
                                      started, trace)
    prompt, context = _conversation(messages, _text_of(system))
    if guard and screened["action"] == "GUARDRAIL_INTERVENED":  # masked, not blocked: the model sees the mask
        prompt = "\n".join(o["text"] for o in screened["outputs"])
    out = run_text_model(model, prompt, context, config.get("maxTokens"), config.get("stopSequences"))
    text, stop_reason = out.text, out.stop_reason
    if guard:
        checked = guardrail.apply([{"text": {"text": text}}], "OUTPUT")
        if trace:
            trace["guardrail"]["outputAssessments"] = {guardrail_id: checked["assessments"]}
        if checked["action"] == "GUARDRAIL_INTERVENED":
            text, stop_reason = checked["outputs"][0]["text"], "guardrail_intervened"
    return _converse_response(model, text, out.input_tokens, out.output_tokens, stop_reason, started, trace)


def blocked_by_guardrail(result: dict) -> bool:
    """Whether an ApplyGuardrail result blocked the content (rather than only masking it)."""
    return any(item.get("action") == "BLOCKED" for a in result["assessments"] for policy in a.values()
               if isinstance(policy, dict) for items in policy.values() if isinstance(items, list) for item in items)


def _converse_response(model, text, input_tokens, output_tokens, stop_reason, started, trace) -> dict:
    response = {"output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": stop_reason,
                "usage": {"inputTokens": input_tokens, "outputTokens": output_tokens,
                          "totalTokens": input_tokens + output_tokens},
                "metrics": {"latencyMs": int((time.perf_counter() - started) * 1000)},
                "additionalModelResponseFields": {"mla_local_stand_in": STAND_IN_NOTICE, "model": model.model_id}}
    if trace:
        response["trace"] = trace
    return response


@operation("bedrock-runtime", "ApplyGuardrail")
def apply_guardrail(params, ctx):
    _, guardrail = guardrail_for(ctx, params["guardrailIdentifier"], params["guardrailVersion"])
    return guardrail.apply(params["content"], params["source"])
