"""Evaluation metrics for generated text and for retrieval, plus a rubric judge.

ROUGE comes from Google's ``rouge-score`` (the reference re-implementation of ROUGE-1.5.5) and BLEU from
``sacrebleu`` (the reference for comparable BLEU); this module only adapts their interfaces. The retrieval
metrics follow their textbook definitions, and the rubric judge shows how an LLM-as-a-judge evaluation is
set up (criteria, scale, evidence per score) with a transparent, deterministic scorer in place of the judge
model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sacrebleu
from rouge_score import rouge_scorer

from .embeddings import cosine, embed
from .guardrails import word_overlap


def rouge(prediction: str, reference: str, types: Sequence[str] = ("rouge1", "rouge2", "rougeL")) -> dict:
    """F-measure per ROUGE type (stemmed, as commonly reported)."""
    scores = rouge_scorer.RougeScorer(list(types), use_stemmer=True).score(reference, prediction)
    return {name: score.fmeasure for name, score in scores.items()}


def bleu(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0-100) of predictions against one reference each."""
    return sacrebleu.corpus_bleu(list(predictions), [list(references)]).score


def embedding_similarity(prediction: str, reference: str) -> float:
    """Cosine similarity of the two texts' embeddings: a semantic-similarity score in [-1, 1]."""
    return float(cosine(embed([prediction]), embed([reference]))[0, 0])


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    return next((1.0 / i for i, doc in enumerate(ranked, 1) if doc in relevant), 0.0)


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Binary-relevance nDCG: DCG of the ranking over DCG of the ideal ranking."""
    dcg = sum(1.0 / math.log2(i + 1) for i, doc in enumerate(ranked[:k], 1) if doc in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def retrieval_report(runs: Sequence[tuple[Sequence[str], set[str]]], k: int = 5) -> dict:
    """Mean recall@k, MRR and nDCG@k over (ranked ids, relevant ids) pairs."""
    return {f"recall@{k}": float(np.mean([recall_at_k(r, rel, k) for r, rel in runs])),
            "mrr": float(np.mean([reciprocal_rank(r, rel) for r, rel in runs])),
            f"ndcg@{k}": float(np.mean([ndcg_at_k(r, rel, k) for r, rel in runs]))}


@dataclass(frozen=True)
class Criterion:
    """One rubric line: what is judged, and what the lowest and highest scores mean."""

    name: str
    question: str
    low: str
    high: str


@dataclass
class RubricJudge:
    """An LLM-as-a-judge setup with the judge model replaced by measurable proxies.

    On Bedrock (model evaluation jobs with an evaluator model) a judge model reads a prompt built from these
    criteria and returns a score with its reasoning. Here each criterion is scored 1-5 from evidence that
    can be checked: correctness from agreement with the reference answer, faithfulness from the share of
    the answer's words found in the retrieved context, completeness from the share of the reference's words
    the answer covers. The prompt a real judge would get is available from :meth:`judge_prompt`.
    """

    criteria: list[Criterion] = field(default_factory=lambda: [
        Criterion("correctness", "Does the answer agree with the reference answer?",
                  "contradicts or misses the reference", "says what the reference says"),
        Criterion("faithfulness", "Is every statement supported by the retrieved context?",
                  "mostly unsupported", "fully supported"),
        Criterion("completeness", "Does the answer cover all points of the reference?",
                  "covers none", "covers all"),
    ])
    scale: tuple[int, int] = (1, 5)

    def judge_prompt(self, question: str, answer: str, reference: str, context: str) -> str:
        lines = [f"You are grading an answer on a {self.scale[0]}-{self.scale[1]} scale per criterion.",
                 f"Question: {question}", f"Context: {context}", f"Reference answer: {reference}",
                 f"Answer to grade: {answer}", "Criteria:"]
        lines += [f"- {c.name}: {c.question} ({self.scale[0]} = {c.low}; {self.scale[1]} = {c.high})"
                  for c in self.criteria]
        lines.append('Reply as JSON: {"<criterion>": {"score": <int>, "reason": "<one sentence>"}}')
        return "\n".join(lines)

    def _to_scale(self, fraction: float) -> int:
        low, high = self.scale
        return int(round(low + max(0.0, min(1.0, fraction)) * (high - low)))

    def grade(self, question: str, answer: str, reference: str, context: str) -> dict:
        evidence = {
            "correctness": 0.5 * rouge(answer, reference)["rougeL"] + 0.5 * max(embedding_similarity(answer, reference), 0),
            "faithfulness": word_overlap(answer, context),
            "completeness": word_overlap(reference, answer),
        }
        result = {}
        for c in self.criteria:
            if c.name not in evidence:
                raise ValueError(f"No local scorer for criterion {c.name!r}; known: {sorted(evidence)}")
            result[c.name] = {"score": self._to_scale(evidence[c.name]),
                              "reason": f"measured {c.name} evidence {evidence[c.name]:.2f} on a 0-1 scale"}
        return result
