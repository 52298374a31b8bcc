"""Local Bedrock: runtime (InvokeModel, Converse, ApplyGuardrail), guardrails and the foundation-model list
(control plane), knowledge-base data sources and ingestion (bedrock-agent), Retrieve and RetrieveAndGenerate
(bedrock-agent-runtime). Knowledge bases themselves, agents and custom models stay with moto.
See docs/local-backend-genai.md."""

from . import control, knowledge_bases, runtime  # noqa: F401  (importing registers the handlers)
