"""The foundation models the local backend answers for, with the limits their APIs enforce.

Model ids and request/response formats follow the Bedrock model parameter pages
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters.html); context windows and output
limits are the published ones for each model. ``body_format`` names the InvokeModel body schema.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    name: str
    provider: str
    kind: str  # "embedding" or "text"
    body_format: str
    context_tokens: int
    max_output_tokens: int = 0
    dimensions: tuple[int, ...] = ()  # embedding models: accepted sizes, default first


MODELS = {m.model_id: m for m in [
    ModelInfo("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon", "embedding", "titan-embed",
              8192, dimensions=(1024, 512, 256)),
    ModelInfo("amazon.titan-embed-text-v1", "Titan Embeddings G1 - Text", "Amazon", "embedding", "titan-embed",
              8192, dimensions=(1536,)),
    ModelInfo("cohere.embed-english-v3", "Embed English", "Cohere", "embedding", "cohere-embed", 512,
              dimensions=(1024,)),
    ModelInfo("cohere.embed-multilingual-v3", "Embed Multilingual", "Cohere", "embedding", "cohere-embed", 512,
              dimensions=(1024,)),
    ModelInfo("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic", "text", "anthropic",
              200_000, 4096),
    ModelInfo("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", "Anthropic", "text", "anthropic",
              200_000, 8192),
    ModelInfo("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", "text", "nova", 128_000, 5000),
    ModelInfo("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", "text", "nova", 300_000, 5000),
    ModelInfo("amazon.titan-text-express-v1", "Titan Text G1 - Express", "Amazon", "text", "titan-text", 8192, 8192),
    ModelInfo("amazon.titan-text-lite-v1", "Titan Text G1 - Lite", "Amazon", "text", "titan-text", 4096, 4096),
    ModelInfo("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", "Meta", "text", "llama", 8192, 2048),
]}


def model_from_identifier(identifier: str) -> ModelInfo | None:
    """Accepts a model id or a foundation-model ARN (``arn:aws:bedrock:<region>::foundation-model/<id>``)."""
    return MODELS.get(identifier.rsplit("/", 1)[-1])
