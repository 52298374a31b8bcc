"""Generative-AI building blocks that run offline: tokens, embeddings, chunking, vector search, guardrail
detectors, evaluation metrics and token cost. The local Bedrock backend (``mla.emulator.services.bedrock``)
is built on these; notebooks may also use them directly."""
