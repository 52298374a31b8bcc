"""Split documents into chunks the way a Bedrock knowledge base data source is configured to.

The configuration is Bedrock's own ``ChunkingConfiguration`` (``chunkingStrategy`` FIXED_SIZE, HIERARCHICAL,
SEMANTIC or NONE, with ``maxTokens``, ``overlapPercentage``, ``levelConfigurations``, ``overlapTokens``,
``bufferSize``, ``breakpointPercentileThreshold``), checked against the limits in botocore's bedrock-agent
model. How each strategy behaves: https://docs.aws.amazon.com/bedrock/latest/userguide/kb-chunking.html

Sizes are counted with :func:`mla.genai.tokens.count_tokens`. Chunks end at word boundaries (at sentence
boundaries for the default and semantic strategies) unless one word alone is longer than the limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import botocore.session
import numpy as np
from botocore.validate import ParamValidator

from .tokens import count_tokens, token_spans

DEFAULT_MAX_TOKENS = 300  # "Default chunking: splits content into text chunks of approximately 300 tokens"
_WORDS = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


class ChunkingError(ValueError):
    """The chunking configuration breaks Bedrock's rules; the message says which one."""


@dataclass(frozen=True)
class Chunk:
    text: str
    start: int  # character offsets in the source document
    end: int
    parent: Chunk | None = None  # hierarchical chunking: the parent chunk a child belongs to


Span = tuple[int, int, int]  # start, end, tokens


def _word_units(text: str, start: int = 0, end: int | None = None, max_tokens: int | None = None) -> list[Span]:
    units = []
    for m in _WORDS.finditer(text, start, len(text) if end is None else end):
        n = count_tokens(m.group())
        if max_tokens is not None and n > max_tokens:  # a single over-long "word": cut it at token edges
            spans = token_spans(m.group())
            for i in range(0, len(spans), max_tokens):
                piece = spans[i:i + max_tokens]
                units.append((m.start() + piece[0][0], m.start() + piece[-1][1], len(piece)))
        else:
            units.append((m.start(), m.end(), n))
    return units


def _sentence_units(text: str) -> list[Span]:
    units, begin = [], 0
    for m in [*_SENTENCE_END.finditer(text), None]:
        stop = len(text) if m is None else m.start()
        if text[begin:stop].strip():
            lead = len(text[begin:stop]) - len(text[begin:stop].lstrip())
            units.append((begin + lead, stop, count_tokens(text[begin:stop])))
        begin = len(text) if m is None else m.end()
    return units


def _pack(units: list[Span], max_tokens: int, overlap_tokens: int) -> list[tuple[int, int]]:
    """Greedy packing of consecutive units into windows of at most ``max_tokens``; each window after the
    first starts with the tail of the previous one worth at most ``overlap_tokens``."""
    windows, i = [], 0
    while i < len(units):
        total, j = 0, i
        while j < len(units) and (j == i or total + units[j][2] <= max_tokens):
            total += units[j][2]
            j += 1
        windows.append((units[i][0], units[j - 1][1]))
        if j == len(units):
            break
        k, tail = j, 0
        while k - 1 > i and tail + units[k - 1][2] <= overlap_tokens:
            k -= 1
            tail += units[k][2]
        i = k
    return windows


def _split_long(units: list[Span], text: str, max_tokens: int) -> list[Span]:
    """Sentences longer than the limit are broken into word units."""
    out = []
    for start, end, n in units:
        out += _word_units(text, start, end, max_tokens) if n > max_tokens else [(start, end, n)]
    return out


def fixed_size(text: str, max_tokens: int, overlap_percentage: int) -> list[Chunk]:
    overlap = max_tokens * overlap_percentage // 100
    return [Chunk(text[s:e], s, e) for s, e in _pack(_word_units(text, max_tokens=max_tokens), max_tokens, overlap)]


def default(text: str) -> list[Chunk]:
    units = _split_long(_sentence_units(text), text, DEFAULT_MAX_TOKENS)
    return [Chunk(text[s:e], s, e) for s, e in _pack(units, DEFAULT_MAX_TOKENS, 0)]


def hierarchical(text: str, parent_max_tokens: int, child_max_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """Child chunks (the ones that get embedded), each pointing at its parent chunk."""
    if child_max_tokens > parent_max_tokens:
        raise ChunkingError(f"The child chunk size ({child_max_tokens}) must not exceed the parent chunk size "
                            f"({parent_max_tokens}).")
    children = []
    for ps, pe in _pack(_word_units(text, max_tokens=parent_max_tokens), parent_max_tokens, overlap_tokens):
        parent = Chunk(text[ps:pe], ps, pe)
        units = _word_units(text, ps, pe, child_max_tokens)
        children += [Chunk(text[s:e], s, e, parent) for s, e in _pack(units, child_max_tokens, overlap_tokens)]
    return children


def semantic(text: str, max_tokens: int, buffer_size: int, breakpoint_percentile_threshold: int,
             embed: Callable[[list[str]], np.ndarray]) -> list[Chunk]:
    """Embed each sentence together with ``buffer_size`` neighbours on either side, and cut where the
    cosine distance between consecutive sentences is above the given percentile of all such distances."""
    sentences = _sentence_units(text)
    if len(sentences) < 2:
        return fixed_size(text, max_tokens, 1) if text.strip() else []
    windows = [" ".join(text[s:e] for s, e, _ in sentences[max(0, i - buffer_size): i + buffer_size + 1])
               for i in range(len(sentences))]
    vectors = embed(windows)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    distances = 1.0 - np.sum(vectors[:-1] * vectors[1:], axis=1)
    threshold = np.percentile(distances, breakpoint_percentile_threshold)
    groups, current = [], [sentences[0]]
    for sentence, distance in zip(sentences[1:], distances, strict=True):
        if distance > threshold:
            groups.append(current)
            current = []
        current.append(sentence)
    groups.append(current)
    chunks = []
    for group in groups:  # a topic longer than maxTokens is packed into several chunks
        for s, e in _pack(_split_long(group, text, max_tokens), max_tokens, 0):
            chunks.append(Chunk(text[s:e], s, e))
    return chunks


def validate_configuration(configuration: dict) -> None:
    """Raise :class:`ChunkingError` unless ``configuration`` is a valid Bedrock ChunkingConfiguration."""
    shape = _bedrock_agent_model().shape_for("ChunkingConfiguration")
    report = ParamValidator().validate(configuration, shape)
    if report.has_errors():
        raise ChunkingError(report.generate_report())
    _check_maxima(configuration, shape, "chunkingConfiguration")
    strategy = configuration["chunkingStrategy"]
    needed = {"FIXED_SIZE": "fixedSizeChunkingConfiguration", "HIERARCHICAL": "hierarchicalChunkingConfiguration",
              "SEMANTIC": "semanticChunkingConfiguration"}.get(strategy)
    if needed and needed not in configuration:
        raise ChunkingError(f"chunkingStrategy {strategy} requires {needed}.")
    extra = [k for k in configuration if k.endswith("ChunkingConfiguration") and k != needed]
    if extra:
        raise ChunkingError(f"chunkingStrategy {strategy} does not take {', '.join(extra)}.")


@cache
def _bedrock_agent_model():
    return botocore.session.get_session().get_service_model("bedrock-agent")


def _check_maxima(value, shape, path: str) -> None:
    """botocore checks minimums client-side; the service also enforces the model's maximums."""
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if name in value:
                _check_maxima(value[name], member, f"{path}.{name}")
    elif kind == "list":
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            raise ChunkingError(f"{path} must have at most {shape.metadata['max']} items, got {len(value)}.")
        for i, item in enumerate(value):
            _check_maxima(item, shape.member, f"{path}[{i}]")
    elif kind in ("integer", "long") and "max" in shape.metadata and value > shape.metadata["max"]:
        raise ChunkingError(f"{path} must be at most {shape.metadata['max']}, got {value}.")


def chunk_document(text: str, configuration: dict | None, embed: Callable[[list[str]], np.ndarray]) -> list[Chunk]:
    """Chunk ``text`` as a data source with this ChunkingConfiguration would (None: Bedrock's default)."""
    if configuration is None:
        return default(text)
    validate_configuration(configuration)
    strategy = configuration["chunkingStrategy"]
    if strategy == "NONE":
        return [Chunk(text, 0, len(text))] if text.strip() else []
    if strategy == "FIXED_SIZE":
        c = configuration["fixedSizeChunkingConfiguration"]
        return fixed_size(text, c["maxTokens"], c["overlapPercentage"])
    if strategy == "HIERARCHICAL":
        c = configuration["hierarchicalChunkingConfiguration"]
        parent, child = (level["maxTokens"] for level in c["levelConfigurations"])
        return hierarchical(text, parent, child, c["overlapTokens"])
    c = configuration["semanticChunkingConfiguration"]
    return semantic(text, c["maxTokens"], c["bufferSize"], c["breakpointPercentileThreshold"], embed)
