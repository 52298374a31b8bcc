"""Shared helpers for the GenAI tests: the shipped data and a knowledge base in the emulator."""

import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "curriculum" / "genai_data"
EMBED_V2 = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def create_knowledge_base(aws, name: str, dimensions: int = 1024) -> str:
    config = {"embeddingModelArn": EMBED_V2,
              "embeddingModelConfiguration": {"bedrockEmbeddingModelConfiguration": {"dimensions": dimensions}}}
    return aws("bedrock-agent").create_knowledge_base(
        name=name, roleArn="arn:aws:iam::123456789012:role/kb",
        knowledgeBaseConfiguration={"type": "VECTOR", "vectorKnowledgeBaseConfiguration": config},
        storageConfiguration={"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
            "collectionArn": "arn:aws:aoss:us-east-1:123456789012:collection/kb", "vectorIndexName": "index",
            "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"}}},
    )["knowledgeBase"]["knowledgeBaseId"]


def upload_passages(aws, bucket: str, prefix: str = "kb/") -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    for passage in load("passages.jsonl"):
        key = f"{prefix}{passage['id']}.txt"
        s3.put_object(Bucket=bucket, Key=key, Body=passage["text"].encode())
        s3.put_object(Bucket=bucket, Key=key + ".metadata.json",
                      Body=json.dumps({"metadataAttributes": passage["metadata"]}).encode())
