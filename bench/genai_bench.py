"""GenAI local-backend benchmark: `python bench/genai_bench.py`.

Builds a 1,000-chunk corpus (the 30 shipped passages plus deterministic distractor documents assembled
from their sentences, seed 0), ingests it into a knowledge base through the emulator (FIXED_SIZE, 60
tokens, 10% overlap), then reports ingestion time, Retrieve latency (p50/p95 over the 42 shipped
questions), retrieval scores (recall@5, MRR, nDCG@5) and embedding quality on the paraphrase set.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "genai"))

import boto3  # noqa: E402
import numpy as np  # noqa: E402
from genai_support import create_knowledge_base, load, upload_passages  # noqa: E402

from mla.emulator import Emulator  # noqa: E402
from mla.genai.chunking import fixed_size  # noqa: E402
from mla.genai.embeddings import embed  # noqa: E402
from mla.genai.evaluation import retrieval_report  # noqa: E402

TARGET_CHUNKS = 1000
CHUNKING = {"chunkingStrategy": "FIXED_SIZE", "fixedSizeChunkingConfiguration": {"maxTokens": 60, "overlapPercentage": 10}}


def distractors(passages: list[dict], chunks_wanted: int, seed: int = 0) -> list[str]:
    """Documents of shuffled sentences from the passages, enough to reach ``chunks_wanted`` chunks."""
    rng = random.Random(seed)
    sentences = [s for p in passages for s in re.split(r"(?<=[.!?])\s+", p["text"])]
    docs, chunks = [], 0
    while chunks < chunks_wanted:
        doc = " ".join(rng.sample(sentences, 6))
        docs.append(doc)
        chunks += len(fixed_size(doc, 60, 10))
    return docs


def paraphrase_quality() -> dict:
    rows = load("paraphrases.jsonl")
    text, para, other = (embed([r[k] for r in rows]) for k in ("text", "paraphrase", "unrelated"))
    near, far = np.sum(text * para, axis=1), np.sum(text * other, axis=1)
    return {"paraphrase_closer_than_unrelated": float((near > far).mean()),
            "mean_cosine_paraphrase": round(float(near.mean()), 3), "mean_cosine_unrelated": round(float(far.mean()), 3)}


def main() -> int:
    passages = load("passages.jsonl")
    own_chunks = sum(len(fixed_size(p["text"], 60, 10)) for p in passages)
    with Emulator() as emulator:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1")
        aws = lambda service: session.client(service, endpoint_url=emulator.url)  # noqa: E731
        upload_passages(aws, "bench-docs")
        for i, doc in enumerate(distractors(passages, TARGET_CHUNKS - own_chunks)):
            aws("s3").put_object(Bucket="bench-docs", Key=f"kb/distractor-{i:04d}.txt", Body=doc.encode())
        agent, runtime = aws("bedrock-agent"), aws("bedrock-agent-runtime")
        kb_id = create_knowledge_base(aws, "bench-kb")
        ds_id = agent.create_data_source(
            knowledgeBaseId=kb_id, name="bench",
            dataSourceConfiguration={"type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::bench-docs"}},
            vectorIngestionConfiguration={"chunkingConfiguration": CHUNKING})["dataSource"]["dataSourceId"]
        start = time.perf_counter()
        job = agent.start_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=ds_id)["ingestionJob"]
        ingestion_seconds = time.perf_counter() - start
        from mla.emulator.services.bedrock.common import _STATES  # the index size is not in any API response

        chunks = sum(len(s.indexes[kb_id]) for s in _STATES.values() if kb_id in s.indexes)
        latencies, runs = [], []
        for question in load("questions.jsonl"):
            start = time.perf_counter()
            results = runtime.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": question["question"]},
                                       retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 5}})
            latencies.append((time.perf_counter() - start) * 1000)
            ranked = [r["location"]["s3Location"]["uri"].rsplit("/", 1)[1].removesuffix(".txt")
                      for r in results["retrievalResults"]]
            runs.append((list(dict.fromkeys(ranked)), set(question["relevant"])))
    report = {"chunks_indexed": chunks, "documents": job["statistics"]["numberOfDocumentsScanned"],
              "ingestion_seconds": round(ingestion_seconds, 2),
              "retrieve_latency_ms_p50": round(statistics.median(latencies), 1),
              "retrieve_latency_ms_p95": round(float(np.percentile(latencies, 95)), 1),
              **{k: round(v, 3) for k, v in retrieval_report(runs, k=5).items()},
              **paraphrase_quality()}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
