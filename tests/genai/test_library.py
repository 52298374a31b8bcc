"""mla.genai without the emulator: data integrity, embeddings, chunking, index filters, metrics, cost."""

import hashlib

import numpy as np
import pytest
import sacrebleu
from genai_support import DATA, load
from rouge_score import rouge_scorer

from mla.genai import chunking, cost, evaluation
from mla.genai.embeddings import embed
from mla.genai.tokens import count_tokens
from mla.genai.vector_index import Entry, FilterError, VectorIndex, matches


def test_shipped_data_matches_its_checksums():
    for line in (DATA / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name


def test_identical_text_gives_identical_vectors_and_paraphrases_are_closer_than_unrelated_text():
    rows = load("paraphrases.jsonl")
    assert np.array_equal(embed(["Split documents into chunks."]), embed(["Split documents into chunks."]))
    for dimensions in (256, 1024):
        text, para, other = (embed([r[k] for r in rows], dimensions) for k in ("text", "paraphrase", "unrelated"))
        closer = np.sum(text * para, axis=1) > np.sum(text * other, axis=1)
        assert closer.mean() >= 0.95, f"{dimensions} dims: paraphrase closer in only {closer.mean():.0%}"
    assert np.allclose(np.linalg.norm(embed(["some text"], 512), axis=1), 1.0)


def test_fixed_size_chunks_respect_max_tokens_and_overlap():
    text = " ".join(p["text"] for p in load("passages.jsonl"))
    chunks = chunking.fixed_size(text, max_tokens=80, overlap_percentage=25)
    assert all(count_tokens(c.text) <= 80 for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(text.rstrip())
    for before, after in zip(chunks, chunks[1:], strict=False):
        overlap = text[after.start:before.end] if after.start < before.end else ""
        assert count_tokens(overlap) <= 20 and after.start > before.start
        assert overlap, "consecutive chunks should share a tail of the previous chunk"


def test_hierarchical_children_fit_and_point_at_parents_semantic_respects_max_tokens():
    text = " ".join(p["text"] for p in load("passages.jsonl"))
    children = chunking.hierarchical(text, parent_max_tokens=300, child_max_tokens=60, overlap_tokens=10)
    assert all(count_tokens(c.text) <= 60 and count_tokens(c.parent.text) <= 300 for c in children)
    assert all(c.parent.start <= c.start and c.end <= c.parent.end for c in children)
    semantic = chunking.semantic(text, max_tokens=120, buffer_size=1, breakpoint_percentile_threshold=80, embed=embed)
    assert all(count_tokens(c.text) <= 120 for c in semantic) and len(semantic) > 1


@pytest.mark.parametrize("config, message", [
    ({"chunkingStrategy": "FIXED_SIZE", "fixedSizeChunkingConfiguration": {"maxTokens": 100, "overlapPercentage": 100}},
     "at most 99"),
    ({"chunkingStrategy": "SEMANTIC", "semanticChunkingConfiguration": {"maxTokens": 100, "bufferSize": 2,
                                                                        "breakpointPercentileThreshold": 90}}, "at most 1"),
    ({"chunkingStrategy": "HIERARCHICAL", "hierarchicalChunkingConfiguration": {
        "levelConfigurations": [{"maxTokens": 100}], "overlapTokens": 10}}, "valid min length: 2"),
    ({"chunkingStrategy": "FIXED_SIZE"}, "requires fixedSizeChunkingConfiguration"),
])
def test_chunking_configuration_limits_come_from_the_bedrock_model(config, message):
    with pytest.raises(chunking.ChunkingError, match=message):
        chunking.validate_configuration(config)


def test_retrieval_filters_follow_bedrock_operators():
    meta = {"year": 2024, "team": "finance", "tags": ["a", "b"]}
    assert matches(meta, {"andAll": [{"greaterThan": {"key": "year", "value": 2023}},
                                     {"in": {"key": "team", "value": ["finance", "hr"]}}]})
    assert not matches(meta, {"orAll": [{"equals": {"key": "team", "value": "hr"}},
                                        {"lessThan": {"key": "year", "value": 2000}}]})
    assert matches(meta, {"listContains": {"key": "tags", "value": "b"}})
    assert matches(meta, {"startsWith": {"key": "team", "value": "fin"}})
    with pytest.raises(FilterError):
        matches(meta, {"andAll": [{"equals": {"key": "team", "value": "x"}}]})
    index = VectorIndex(4)
    index.add([Entry("a", "a", {"k": 1}), Entry("b", "b", {"k": 2})], np.eye(4)[:2])
    assert [e.id for e, _ in index.search(np.eye(4)[0], 5)] == ["a", "b"]
    assert [e.id for e, _ in index.search(np.eye(4)[0], 5, {"equals": {"key": "k", "value": 2}})] == ["b"]


@pytest.mark.parametrize("prediction, reference", [
    ("the cat sat on the mat", "a cat was sitting on the mat"),
    ("Batch inference costs about half the on-demand price.", "Batch inference is half the on-demand price."),
    ("completely different words here", "nothing in common"),
])
def test_rouge_and_bleu_equal_the_reference_libraries(prediction, reference):
    expected = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True).score(reference, prediction)
    assert evaluation.rouge(prediction, reference) == {k: v.fmeasure for k, v in expected.items()}
    assert evaluation.bleu([prediction], [reference]) == sacrebleu.sentence_bleu(prediction, [reference]).score


def test_retrieval_metrics_on_known_rankings():
    assert evaluation.recall_at_k(["a", "b", "c"], {"c", "z"}, 3) == 0.5
    assert evaluation.reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert evaluation.ndcg_at_k(["a", "x"], {"a"}, 2) == 1.0
    assert evaluation.ndcg_at_k(["x", "a"], {"a"}, 2) == pytest.approx(1 / np.log2(3))


def test_rubric_judge_scores_a_faithful_answer_above_an_invented_one():
    judge = evaluation.RubricJudge()
    context = "Batch inference processes prompts asynchronously at about half the on-demand price."
    reference = "Batch inference costs about half the on-demand price."
    good = judge.grade("What does batch cost?", "Batch inference costs half the on-demand price.", reference, context)
    bad = judge.grade("What does batch cost?", "Batch inference is free on weekends for students.", reference, context)
    assert all(good[c]["score"] > bad[c]["score"] for c in ("correctness", "faithfulness", "completeness"))
    assert "faithfulness" in judge.judge_prompt("q", "a", "r", "c")


def test_cost_comparison_uses_the_dated_table():
    assert cost.price_table()["as_of"]
    workload = cost.Workload(requests_per_month=100_000, input_tokens=2000, output_tokens=500)
    costs = cost.compare("anthropic.claude-3-haiku-20240307-v1:0", workload, provisioned_hourly_rate=10.0)
    assert costs["on_demand"] == pytest.approx(100_000 * (2 * 0.00025 + 0.5 * 0.00125), abs=0.01)
    assert costs["batch"] == pytest.approx(costs["on_demand"] / 2, abs=0.01)
    assert costs["provisioned_throughput"] == 7300.0
    with pytest.raises(KeyError, match="No price"):
        cost.rates("made.up-model")
