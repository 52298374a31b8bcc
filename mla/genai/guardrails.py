"""Guardrail detectors and Bedrock's ApplyGuardrail assessment, computed locally.

A guardrail is configured with the same dicts as ``CreateGuardrail`` (``topicPolicyConfig``,
``contentPolicyConfig``, ``wordPolicyConfig``, ``sensitiveInformationPolicyConfig``,
``contextualGroundingPolicyConfig``, ``blockedInputMessaging``, ``blockedOutputsMessaging``) and answers
with the ``ApplyGuardrail`` response shape (``action``, ``outputs``, ``assessments``, ``usage``):
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ApplyGuardrail.html and
https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-components.html

What is detected here, and how (real logic, no model):

* sensitive information: patterns with checks (Luhn for card numbers, mod-97 for IBANs, the ``ipaddress``
  module for IPs) for the types in :data:`PII_DETECTORS`; other PII types (NAME, ADDRESS...) need a
  trained recogniser and are not detected locally;
* content filters and prompt attacks: a small shipped lexicon with a confidence level per phrase; a filter
  blocks when the confidence reaches its strength (strength HIGH blocks LOW and up, MEDIUM blocks MEDIUM
  and up, LOW blocks only HIGH);
* denied topics: similarity of each sentence to the topic's definition and examples;
* word filters: whole-word, case-insensitive matches of custom words and a shipped profanity list;
* contextual grounding: GROUNDING is the share of the answer's content words found in the grounding
  source; RELEVANCE is the share of the query's content words the answer addresses, blended with their
  embedding similarity.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .embeddings import _content_words, cosine, embed

LEXICON_FILE = Path(__file__).with_name("guardrail_lexicon.json")
TOPIC_THRESHOLD = 0.30  # cosine similarity of a sentence to a denied topic that counts as "about" it
_LEVELS = ["NONE", "LOW", "MEDIUM", "HIGH"]
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _iban(value: str) -> bool:
    s = value.replace(" ", "")
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


# type -> (pattern, extra check on the match or None)
PII_DETECTORS: dict[str, tuple[re.Pattern, Callable[[str], bool] | None]] = {
    "EMAIL": (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b"), None),
    "US_SOCIAL_SECURITY_NUMBER": (re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b"), None),
    "CREDIT_DEBIT_CARD_NUMBER": (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"),
                                 lambda m: _luhn(re.sub(r"\D", "", m))),
    "PHONE": (re.compile(r"(?<![\w-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]\d{3}[ .-]\d{4}\b"), None),
    "IP_ADDRESS": (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b"), _ip),
    "MAC_ADDRESS": (re.compile(r"\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b"), None),
    "URL": (re.compile(r"\bhttps?://[^\s<>\"']+|\bwww\.[^\s<>\"']+"), None),
    "AWS_ACCESS_KEY": (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), None),
    "AWS_SECRET_KEY": (re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"),
                       lambda m: any(c.isdigit() for c in m) and any(c.isupper() for c in m)),
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER": (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
                                          _iban),
    "UK_NATIONAL_INSURANCE_NUMBER": (re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"), None),
}


@cache
def lexicon() -> dict:
    return json.loads(LEXICON_FILE.read_text())


def _find_phrases(text: str, phrases) -> list[str]:
    found = []
    for phrase in phrases:
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE):
            found.append(phrase)
    return found


def content_confidence(text: str, category: str) -> str:
    """NONE, LOW, MEDIUM or HIGH: the highest level of any lexicon phrase of ``category`` in ``text``."""
    best = 0
    for level, phrases in lexicon()["content"][category].items():
        if any(re.search(p, text, re.IGNORECASE) for p in phrases):
            best = max(best, _LEVELS.index(level))
    return _LEVELS[best]


def find_pii(text: str, types) -> list[tuple[str, int, int]]:
    """(type, start, end) of each detected entity of the given types, without overlaps, in text order."""
    hits = []
    for kind in types:
        if kind not in PII_DETECTORS:
            continue
        pattern, check = PII_DETECTORS[kind]
        hits += [(kind, m.start(), m.end()) for m in pattern.finditer(text) if check is None or check(m.group())]
    hits.sort(key=lambda h: (h[1], -(h[2] - h[1])))
    kept, last_end = [], -1
    for hit in hits:
        if hit[1] >= last_end:
            kept.append(hit)
            last_end = hit[2]
    return kept


def word_overlap(text: str, reference: str) -> float:
    """Share of the content words of ``text`` that also occur in ``reference`` (0 when text has none)."""
    words = _content_words(text)
    if not words:
        return 0.0
    known = set(_content_words(reference))
    return sum(w in known for w in words) / len(words)


def grounding_score(answer: str, source: str) -> float:
    return round(word_overlap(answer, source), 2)


def relevance_score(answer: str, query: str) -> float:
    similarity = float(cosine(embed([answer]), embed([query]))[0, 0])
    return round(0.5 * word_overlap(query, answer) + 0.5 * max(similarity, 0.0), 2)


def _blocks(confidence: str, strength: str) -> bool:
    """Whether a filter of ``strength`` acts on content detected with ``confidence``."""
    if confidence == "NONE" or strength == "NONE":
        return False
    return _LEVELS.index(confidence) >= 4 - _LEVELS.index(strength)


def _text_units(characters: int) -> int:
    return math.ceil(characters / 1000)  # a text unit is up to 1,000 characters


@dataclass
class Guardrail:
    """A guardrail configuration in CreateGuardrail's own terms."""

    config: dict

    def _policy(self, name: str) -> dict:
        return self.config.get(name) or {}

    def _enabled(self, item: dict, source: str) -> bool:
        return item.get("inputEnabled" if source == "INPUT" else "outputEnabled", True)

    def _action(self, item: dict, source: str, default: str) -> str:
        return item.get("inputAction" if source == "INPUT" else "outputAction", item.get("action", default))

    def apply(self, content: list[dict], source: str) -> dict:
        """ApplyGuardrail for ``content`` (a list of ``{"text": {"text": ..., "qualifiers": [...]}}``)."""
        blocks = [c["text"] for c in content if "text" in c]
        guarded = [b for b in blocks if not b.get("qualifiers") or "guard_content" in b["qualifiers"]]
        sources = " ".join(b["text"] for b in blocks if "grounding_source" in b.get("qualifiers", []))
        query = " ".join(b["text"] for b in blocks if "query" in b.get("qualifiers", []))
        assessment, outputs, blocked, masked = {}, [], False, False
        for block in guarded:
            text = block["text"]
            found, text_blocked, masked_text = self._assess(text, source, sources, query)
            for policy, items in found.items():
                assessment.setdefault(policy, {})
                for key, values in items.items():
                    assessment[policy].setdefault(key, []).extend(values)
            blocked |= text_blocked
            masked |= masked_text != text
            outputs.append({"text": masked_text})
        if blocked:
            message = self.config.get("blockedInputMessaging" if source == "INPUT" else "blockedOutputsMessaging")
            outputs = [{"text": message}]
        total_chars = sum(len(b["text"]) for b in guarded)
        usage = self._usage(total_chars)
        result = {
            "usage": usage,
            "action": "GUARDRAIL_INTERVENED" if blocked or masked else "NONE",
            "outputs": outputs if blocked or masked else [],
            "assessments": [assessment] if assessment else [],
            "guardrailCoverage": {"textCharacters": {"guarded": total_chars,
                                                     "total": sum(len(b["text"]) for b in blocks)}},
        }
        if blocked or masked:
            result["actionReason"] = "Guardrail blocked." if blocked else "Guardrail masked sensitive information."
        return result

    def _usage(self, chars: int) -> dict:
        units = _text_units(chars)
        has = {name: bool(self._policy(name)) for name in (
            "topicPolicyConfig", "contentPolicyConfig", "wordPolicyConfig", "sensitiveInformationPolicyConfig",
            "contextualGroundingPolicyConfig")}
        return {"topicPolicyUnits": units * has["topicPolicyConfig"],
                "contentPolicyUnits": units * has["contentPolicyConfig"],
                "wordPolicyUnits": units * has["wordPolicyConfig"],
                "sensitiveInformationPolicyUnits": units * has["sensitiveInformationPolicyConfig"],
                "sensitiveInformationPolicyFreeUnits": 0,
                "contextualGroundingPolicyUnits": units * has["contextualGroundingPolicyConfig"]}

    def _assess(self, text: str, source: str, sources: str, query: str) -> tuple[dict, bool, str]:
        found: dict = {}
        blocked = False

        topics = [t for t in self._policy("topicPolicyConfig").get("topicsConfig", []) if self._enabled(t, source)]
        if topics:
            hits = [t for t in topics if self.topic_score(text, t) >= TOPIC_THRESHOLD]
            if hits:
                actions = [self._action(t, source, "BLOCK") for t in hits]
                found["topicPolicy"] = {"topics": [
                    {"name": t["name"], "type": "DENY", "action": "BLOCKED" if a == "BLOCK" else "NONE",
                     "detected": True} for t, a in zip(hits, actions, strict=True)]}
                blocked |= "BLOCK" in actions

        filters = self._policy("contentPolicyConfig").get("filtersConfig", [])
        content_hits = []
        for f in filters:
            if not self._enabled(f, source) or (f["type"] == "PROMPT_ATTACK" and source == "OUTPUT"):
                continue
            confidence = content_confidence(text, f["type"])
            strength = f["inputStrength" if source == "INPUT" else "outputStrength"]
            if confidence != "NONE":
                acts = _blocks(confidence, strength) and self._action(f, source, "BLOCK") == "BLOCK"
                content_hits.append({"type": f["type"], "confidence": confidence, "filterStrength": strength,
                                     "action": "BLOCKED" if acts else "NONE", "detected": _blocks(confidence, strength)})
                blocked |= acts
        if content_hits:
            found["contentPolicy"] = {"filters": content_hits}

        words = self._policy("wordPolicyConfig")
        custom = [w["text"] for w in words.get("wordsConfig", [])]
        managed = [m for m in words.get("managedWordListsConfig", []) if m.get("type") == "PROFANITY"]
        custom_hits = _find_phrases(text, custom)
        managed_hits = _find_phrases(text, lexicon()["profanity"]) if managed else []
        if custom_hits or managed_hits:
            found["wordPolicy"] = {
                "customWords": [{"match": w, "action": "BLOCKED", "detected": True} for w in custom_hits],
                "managedWordLists": [{"match": w, "type": "PROFANITY", "action": "BLOCKED", "detected": True}
                                     for w in managed_hits]}
            blocked = True

        masked, pii, regexes = self._sensitive(text, source)
        if pii or regexes:
            found["sensitiveInformationPolicy"] = {"piiEntities": pii, "regexes": regexes}
            blocked |= any(e["action"] == "BLOCKED" for e in pii + regexes)

        grounding = self._policy("contextualGroundingPolicyConfig").get("filtersConfig", [])
        if grounding and source == "OUTPUT" and (sources or query):
            results = []
            for g in grounding:
                if not g.get("enabled", True):
                    continue
                if g["type"] == "GROUNDING" and sources:
                    score = grounding_score(text, sources)
                elif g["type"] == "RELEVANCE" and query:
                    score = relevance_score(text, query)
                else:
                    continue
                below = score < g["threshold"]
                acts = below and g.get("action", "BLOCK") == "BLOCK"
                results.append({"type": g["type"], "threshold": g["threshold"], "score": score,
                                "action": "BLOCKED" if acts else "NONE", "detected": below})
                blocked |= acts
            if results:
                found["contextualGroundingPolicy"] = {"filters": results}
        return found, blocked, masked

    def _sensitive(self, text: str, source: str) -> tuple[str, list, list]:
        policy = self._policy("sensitiveInformationPolicyConfig")
        entity_actions = {e["type"]: self._action(e, source, "BLOCK") for e in policy.get("piiEntitiesConfig", [])
                          if self._enabled(e, source)}
        spans, pii, regexes = [], [], []
        for kind, start, end in find_pii(text, entity_actions):
            action = entity_actions[kind]
            pii.append({"match": text[start:end], "type": kind, "action": _sensitive_action(action),
                        "detected": True})
            if action == "ANONYMIZE":
                spans.append((start, end, "{" + kind + "}"))
        for rule in policy.get("regexesConfig", []):
            if not self._enabled(rule, source):
                continue
            action = self._action(rule, source, "BLOCK")
            for m in re.finditer(rule["pattern"], text):
                regexes.append({"name": rule["name"], "match": m.group(), "regex": rule["pattern"],
                                "action": _sensitive_action(action), "detected": True})
                if action == "ANONYMIZE":
                    spans.append((m.start(), m.end(), "{" + rule["name"] + "}"))
        masked = text
        for start, end, label in sorted(spans, reverse=True):
            masked = masked[:start] + label + masked[end:]
        return masked, pii, regexes

    @staticmethod
    def topic_score(text: str, topic: dict) -> float:
        """Highest similarity between a sentence of ``text`` and the topic's definition or an example."""
        sentences = [s for s in _SENTENCES.split(text) if s.strip()] or [text]
        anchors = [topic.get("definition", topic["name"]), *topic.get("examples", [])]
        return float(np.max(cosine(embed(sentences), embed(anchors))))


def _sensitive_action(action: str) -> str:
    return {"BLOCK": "BLOCKED", "ANONYMIZE": "ANONYMIZED"}.get(action, "NONE")
