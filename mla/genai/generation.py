"""The local stand-in for text generation: extractive, grounded answers, labelled as such.

No language model runs here. The stand-in treats the last user turn as the question, splits everything
else the caller supplied (system prompt, earlier turns, documents pasted into the prompt) into sentences,
and answers with the sentences most similar to the question, in their original order. If nothing in the
supplied text is related, it says so. It therefore never states anything the caller did not provide —
which is what grounded RAG answers should look like, and why it is useful for exercising RAG pipelines,
guardrails and evaluation offline, but it does not reason, summarise or follow instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .embeddings import cosine, embed
from .tokens import count_tokens, token_spans

STAND_IN_NOTICE = ("Local stand-in (mla course): extractive answer built from sentences of the request; "
                   "no language model was run.")
NO_ANSWER = "The local stand-in found nothing in the provided text that addresses the question."
MIN_SIMILARITY = 0.12
MAX_SENTENCES = 3
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Generation:
    text: str
    input_tokens: int
    output_tokens: int
    stop_reason: str  # end_turn, max_tokens or stop_sequence (Converse's names)
    stop_sequence: str | None = None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.split(text) if s.strip()]


def split_question(prompt: str) -> tuple[str, str]:
    """(question, context) from the last user turn: its last sentence ending in '?' (else its last
    sentence) is the question, the other sentences are context."""
    sentences = _sentences(prompt) or [prompt]
    asked = [i for i, s in enumerate(sentences) if s.endswith("?")]
    at = asked[-1] if asked else len(sentences) - 1
    question = re.sub(r"^\s*(question|q)\s*:\s*", "", sentences[at], flags=re.IGNORECASE)
    return question, "\n".join(sentences[:at] + sentences[at + 1:])


def answer(question: str, context: str) -> str:
    candidates = [s for s in _sentences(context) if s != question]
    if not candidates or not question.strip():
        return NO_ANSWER
    scores = cosine(embed([question]), embed(candidates))[0]
    order = [i for i in np.argsort(-scores, kind="stable")[:MAX_SENTENCES] if scores[i] >= MIN_SIMILARITY]
    if not order:
        return NO_ANSWER
    best = scores[order[0]]
    chosen = sorted(i for i in order if scores[i] >= 0.6 * best)  # keep sentences close to the best one
    return " ".join(candidates[i] for i in chosen)


def generate(prompt: str, context: str, input_tokens: int, max_tokens: int,
             stop_sequences: list[str] | None = None) -> Generation:
    """Answer ``prompt`` (the last user turn) from ``context`` plus the prompt's own non-question lines."""
    question, inline_context = split_question(prompt)
    text = answer(question, "\n".join(part for part in (context, inline_context) if part))
    stop_reason, stop = "end_turn", None
    for sequence in stop_sequences or []:
        if sequence and sequence in text:
            text, stop_reason, stop = text[:text.index(sequence)], "stop_sequence", sequence
    spans = token_spans(text)
    if len(spans) > max_tokens:
        text = text[:spans[max_tokens - 1][1]] if max_tokens else ""
        stop_reason, stop = "max_tokens", None
    return Generation(text, input_tokens, count_tokens(text), stop_reason, stop)
