"""Knowledge bases: data sources in the emulated S3, ingestion (chunk, embed, index), Retrieve and
RetrieveAndGenerate. The knowledge base itself (CreateKnowledgeBase, Get, List, Delete) is moto's; this
module reads its configuration from moto's backend.

APIs: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_StartIngestionJob.html,
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_Retrieve.html. Metadata files
follow the ``<document>.metadata.json`` convention with a ``metadataAttributes`` object
(https://docs.aws.amazon.com/bedrock/latest/userguide/kb-metadata.html).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import uuid
from html.parser import HTMLParser

from mla.genai.chunking import ChunkingError, chunk_document, validate_configuration
from mla.genai.embeddings import embed
from mla.genai.generation import split_question
from mla.genai.vector_index import Entry, FilterError, VectorIndex

from .common import invalid, not_found, operation, state
from .control import guardrail_for
from .runtime import blocked_by_guardrail, resolve_model, run_text_model

TEXT_SUFFIXES = (".txt", ".md", ".csv", ".html", ".htm", ".json")
METADATA_SUFFIX = ".metadata.json"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _short_id() -> str:
    return uuid.uuid4().hex[:10].upper()


def knowledge_base(ctx, kb_id: str):
    kb = ctx.moto_backend("bedrock-agent").knowledge_bases.get(kb_id)
    if kb is None:
        raise not_found("Knowledge base", kb_id)
    return kb


def embedding_settings(kb) -> tuple[str, int]:
    """(embedding model id, dimensions) from the knowledge base's vector configuration."""
    vector = (kb.knowledge_base_configuration or {}).get("vectorKnowledgeBaseConfiguration") or {}
    model = resolve_model(vector.get("embeddingModelArn", ""), "embedding")
    configured = (vector.get("embeddingModelConfiguration") or {}).get("bedrockEmbeddingModelConfiguration") or {}
    dimensions = configured.get("dimensions", model.dimensions[0])
    if dimensions not in model.dimensions:
        raise invalid(f"{model.model_id} supports dimensions {list(model.dimensions)}, not {dimensions}.")
    return model.model_id, dimensions


def _data_source(ctx, kb_id: str, ds_id: str) -> dict:
    knowledge_base(ctx, kb_id)
    found = state(ctx).data_sources.get((kb_id, ds_id))
    if found is None:
        raise not_found("Data source", ds_id)
    return found


def _check_source_config(params: dict) -> None:
    config = params["dataSourceConfiguration"]
    if config["type"] != "S3" or "s3Configuration" not in config:
        raise invalid(f"The local backend ingests S3 data sources only, not {config['type']}.")
    if not config["s3Configuration"]["bucketArn"].startswith("arn:aws:s3:::"):
        raise invalid("bucketArn must look like arn:aws:s3:::<bucket>.")
    chunking = (params.get("vectorIngestionConfiguration") or {}).get("chunkingConfiguration")
    if chunking is not None:
        try:
            validate_configuration(chunking)
        except ChunkingError as error:
            raise invalid(str(error)) from None


@operation("bedrock-agent", "CreateDataSource")
def create_data_source(params, ctx):
    knowledge_base(ctx, params["knowledgeBaseId"])
    _check_source_config(params)
    now = _now()
    source = {"knowledgeBaseId": params["knowledgeBaseId"], "dataSourceId": _short_id(), "name": params["name"],
              "status": "AVAILABLE", "dataSourceConfiguration": params["dataSourceConfiguration"],
              "dataDeletionPolicy": params.get("dataDeletionPolicy", "DELETE"), "createdAt": now, "updatedAt": now}
    for key in ("description", "vectorIngestionConfiguration"):
        if key in params:
            source[key] = params[key]
    state(ctx).data_sources[(source["knowledgeBaseId"], source["dataSourceId"])] = source
    return {"dataSource": source}


@operation("bedrock-agent", "GetDataSource")
def get_data_source(params, ctx):
    return {"dataSource": _data_source(ctx, params["knowledgeBaseId"], params["dataSourceId"])}


@operation("bedrock-agent", "UpdateDataSource")
def update_data_source(params, ctx):
    source = _data_source(ctx, params["knowledgeBaseId"], params["dataSourceId"])
    _check_source_config(params)
    for key in ("name", "description", "dataSourceConfiguration", "dataDeletionPolicy"):
        if key in params:
            source[key] = params[key]
    if "vectorIngestionConfiguration" in params and params["vectorIngestionConfiguration"] != source.get(
            "vectorIngestionConfiguration"):
        raise invalid("The chunking strategy of a data source cannot be changed after it is created.")
    source["updatedAt"] = _now()
    return {"dataSource": source}


@operation("bedrock-agent", "ListDataSources")
def list_data_sources(params, ctx):
    knowledge_base(ctx, params["knowledgeBaseId"])
    summaries = [{k: s[k] for k in ("knowledgeBaseId", "dataSourceId", "name", "status", "description", "updatedAt")
                  if k in s} for (kb, _), s in state(ctx).data_sources.items() if kb == params["knowledgeBaseId"]]
    return {"dataSourceSummaries": summaries}


@operation("bedrock-agent", "DeleteDataSource")
def delete_data_source(params, ctx):
    kb_id, ds_id = params["knowledgeBaseId"], params["dataSourceId"]
    _data_source(ctx, kb_id, ds_id)
    store = state(ctx)
    with store.lock:
        del store.data_sources[(kb_id, ds_id)]
        store.ingestion_jobs.pop((kb_id, ds_id), None)
        if kb_id in store.indexes:
            store.indexes[kb_id].remove(lambda e: e.metadata["x-amz-bedrock-kb-data-source-id"] == ds_id)
    return {"knowledgeBaseId": kb_id, "dataSourceId": ds_id, "status": "DELETING"}


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def _document_text(key: str, raw: bytes) -> str:
    text = raw.decode("utf-8")
    if key.lower().endswith((".html", ".htm")):
        parser = _TextOnly()
        parser.feed(text)
        text = re.sub(r"[ \t]+", " ", "".join(parser.parts))
    return text


def _objects(s3, bucket: str, prefixes: list[str]) -> dict[str, bytes]:
    objects = {}
    for prefix in prefixes or [""]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                objects[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return objects


def ingest(ctx, source: dict) -> tuple[dict, list[str]]:
    """Chunk, embed and index every document of an S3 data source; returns (statistics, failure reasons)."""
    kb_id, ds_id = source["knowledgeBaseId"], source["dataSourceId"]
    _, dimensions = embedding_settings(knowledge_base(ctx, kb_id))
    s3_config = source["dataSourceConfiguration"]["s3Configuration"]
    bucket = s3_config["bucketArn"].split(":::", 1)[1]
    chunking = (source.get("vectorIngestionConfiguration") or {}).get("chunkingConfiguration")
    objects = _objects(ctx.client("s3"), bucket, s3_config.get("inclusionPrefixes", []))
    documents = {k: v for k, v in objects.items() if not k.endswith(METADATA_SUFFIX)}
    stats = {"numberOfDocumentsScanned": len(documents),
             "numberOfMetadataDocumentsScanned": len(objects) - len(documents),
             "numberOfNewDocumentsIndexed": 0, "numberOfModifiedDocumentsIndexed": 0,
             "numberOfMetadataDocumentsModified": 0, "numberOfDocumentsDeleted": 0, "numberOfDocumentsFailed": 0}
    failures, entries, texts = [], [], []
    store = state(ctx)
    index = store.indexes.setdefault(kb_id, VectorIndex(dimensions))
    previous = {e.metadata["x-amz-bedrock-kb-source-uri"] for e in index.entries
                if e.metadata["x-amz-bedrock-kb-data-source-id"] == ds_id}
    for key, raw in sorted(documents.items()):
        uri = f"s3://{bucket}/{key}"
        try:
            if not key.lower().endswith(TEXT_SUFFIXES):
                raise ValueError("file type not supported by the local backend (text, Markdown, CSV, HTML, JSON)")
            text = _document_text(key, raw)
            attributes = {}
            if key + METADATA_SUFFIX in objects:
                attributes = json.loads(objects[key + METADATA_SUFFIX]).get("metadataAttributes", {})
                if not isinstance(attributes, dict):
                    raise ValueError("metadataAttributes must be a JSON object")
            chunks = chunk_document(text, chunking, lambda t: embed(t, dimensions))
        except (ValueError, UnicodeDecodeError, ChunkingError) as error:
            stats["numberOfDocumentsFailed"] += 1
            failures.append(f"{uri}: {error}")
            continue
        stats["numberOfModifiedDocumentsIndexed" if uri in previous else "numberOfNewDocumentsIndexed"] += 1
        for chunk in chunks:
            metadata = {**attributes, "x-amz-bedrock-kb-source-uri": uri, "x-amz-bedrock-kb-data-source-id": ds_id,
                        "x-amz-bedrock-kb-chunk-id": str(uuid.uuid4())}
            if chunk.parent is not None:
                metadata["parent_text"] = chunk.parent.text
            entries.append(Entry(metadata["x-amz-bedrock-kb-chunk-id"], chunk.text, metadata))
            texts.append(chunk.text)
    current = {f"s3://{bucket}/{k}" for k in documents}
    stats["numberOfDocumentsDeleted"] = len(previous - current)
    with store.lock:
        index.remove(lambda e: e.metadata["x-amz-bedrock-kb-data-source-id"] == ds_id)
        if entries:
            index.add(entries, embed(texts, dimensions))
    return stats, failures


@operation("bedrock-agent", "StartIngestionJob")
def start_ingestion_job(params, ctx):
    """Runs the ingestion to completion before answering (the real service answers STARTING and works in
    the background); polling GetIngestionJob until COMPLETE works the same on both."""
    source = _data_source(ctx, params["knowledgeBaseId"], params["dataSourceId"])
    started = _now()
    stats, failures = ingest(ctx, source)
    job = {"knowledgeBaseId": source["knowledgeBaseId"], "dataSourceId": source["dataSourceId"],
           "ingestionJobId": _short_id(), "status": "COMPLETE", "statistics": stats, "startedAt": started,
           "updatedAt": _now()}
    if params.get("description"):
        job["description"] = params["description"]
    if failures:
        job["failureReasons"] = failures
    state(ctx).ingestion_jobs.setdefault((source["knowledgeBaseId"], source["dataSourceId"]), []).append(job)
    return {"ingestionJob": job}


@operation("bedrock-agent", "GetIngestionJob")
def get_ingestion_job(params, ctx):
    _data_source(ctx, params["knowledgeBaseId"], params["dataSourceId"])
    for job in state(ctx).ingestion_jobs.get((params["knowledgeBaseId"], params["dataSourceId"]), []):
        if job["ingestionJobId"] == params["ingestionJobId"]:
            return {"ingestionJob": job}
    raise not_found("Ingestion job", params["ingestionJobId"])


@operation("bedrock-agent", "ListIngestionJobs")
def list_ingestion_jobs(params, ctx):
    _data_source(ctx, params["knowledgeBaseId"], params["dataSourceId"])
    jobs = state(ctx).ingestion_jobs.get((params["knowledgeBaseId"], params["dataSourceId"]), [])
    keys = ("knowledgeBaseId", "dataSourceId", "ingestionJobId", "description", "status", "startedAt",
            "updatedAt", "statistics")
    return {"ingestionJobSummaries": [{k: j[k] for k in keys if k in j} for j in reversed(jobs)]}


def retrieve_chunks(ctx, kb_id: str, query: str, retrieval_configuration: dict | None) -> list[dict]:
    """Retrieve's ``retrievalResults`` for a query; hierarchical children are replaced by their parents."""
    kb = knowledge_base(ctx, kb_id)
    _, dimensions = embedding_settings(kb)
    vector_config = (retrieval_configuration or {}).get("vectorSearchConfiguration", {})
    k = vector_config.get("numberOfResults", 5)
    if not 1 <= k <= 100:
        raise invalid("numberOfResults must be between 1 and 100.")
    index = state(ctx).indexes.get(kb_id)
    if index is None or not len(index):
        return []
    try:
        hits = index.search(embed([query], dimensions)[0], k * 3, vector_config.get("filter"))
    except FilterError as error:
        raise invalid(str(error)) from None
    results, seen = [], set()
    for entry, score in hits:
        text = entry.metadata.get("parent_text", entry.text)
        if text in seen:
            continue
        seen.add(text)
        metadata = {key: value for key, value in entry.metadata.items() if key != "parent_text"}
        results.append({"content": {"text": text, "type": "TEXT"},
                        "location": {"type": "S3", "s3Location": {"uri": metadata["x-amz-bedrock-kb-source-uri"]}},
                        "score": round(score, 6), "metadata": metadata})
        if len(results) == k:
            break
    return results


@operation("bedrock-agent-runtime", "Retrieve")
def retrieve(params, ctx):
    query = params["retrievalQuery"].get("text", "")
    if not query.strip():
        raise invalid("retrievalQuery.text must not be empty.")
    return {"retrievalResults": retrieve_chunks(ctx, params["knowledgeBaseId"], query,
                                                params.get("retrievalConfiguration"))}


@operation("bedrock-agent-runtime", "RetrieveAndGenerate")
def retrieve_and_generate(params, ctx):
    """The answer is the extractive local stand-in's (mla.genai.generation); the response shape has no field
    to say so, hence the notice in docs/local-backend-genai.md."""
    config = params["retrieveAndGenerateConfiguration"]
    if config["type"] != "KNOWLEDGE_BASE" or "knowledgeBaseConfiguration" not in config:
        raise invalid("The local backend answers RetrieveAndGenerate from a KNOWLEDGE_BASE configuration only.")
    kb_config = config["knowledgeBaseConfiguration"]
    model = resolve_model(kb_config["modelArn"], "text")
    question = params["input"]["text"]
    response = {"sessionId": params.get("sessionId") or str(uuid.uuid4())}
    generation_config = kb_config.get("generationConfiguration", {})
    guard = generation_config.get("guardrailConfiguration")
    guardrail = guard and guardrail_for(ctx, guard["guardrailId"], guard["guardrailVersion"])[1]
    if guardrail:  # the guardrail checks the query first (kb-test-retrieve-generate.html)
        screened = guardrail.apply([{"text": {"text": question}}], "INPUT")
        if screened["action"] == "GUARDRAIL_INTERVENED":
            if blocked_by_guardrail(screened):
                return {**response, "guardrailAction": "INTERVENED", "output": screened["outputs"][0],
                        "citations": []}
            question = screened["outputs"][0]["text"]  # sensitive information masked before retrieval
    references = retrieve_chunks(ctx, kb_config["knowledgeBaseId"], question,
                                 kb_config.get("retrievalConfiguration"))
    inference = generation_config.get("inferenceConfig", {}).get("textInferenceConfig", {})
    context = "\n".join(r["content"]["text"] for r in references)
    out = run_text_model(model, split_question(question)[0], context, inference.get("maxTokens", 2048),
                         inference.get("stopSequences"))
    text = out.text
    if guardrail:
        checked = guardrail.apply([{"text": {"text": context, "qualifiers": ["grounding_source"]}},
                                   {"text": {"text": question, "qualifiers": ["query"]}},
                                   {"text": {"text": text, "qualifiers": ["guard_content"]}}], "OUTPUT")
        if checked["action"] == "GUARDRAIL_INTERVENED":
            text = checked["outputs"][0]["text"]
            response["guardrailAction"] = "INTERVENED"
            references = []
    cited = [copy.deepcopy({k: r[k] for k in ("content", "location", "metadata")}) for r in references
             if any(sentence in r["content"]["text"] for sentence in re.split(r"(?<=[.!?])\s+", text) if sentence)]
    response["output"] = {"text": text}
    response["citations"] = [{"generatedResponsePart": {"textResponsePart": {"text": text,
                                                                            "span": {"start": 0, "end": len(text)}}},
                              "retrievedReferences": cited}] if cited else []
    return response
