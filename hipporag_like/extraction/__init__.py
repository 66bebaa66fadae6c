"""Extractors turn passages into entities and (subject, relation, object) triples."""

from .base import Extraction, Extractor, CachedExtractor

__all__ = ["Extraction", "Extractor", "CachedExtractor"]
