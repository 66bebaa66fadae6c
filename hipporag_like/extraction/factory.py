"""Pick the extraction backend a pipeline names; optional backends import lazily."""

from __future__ import annotations

from ..config import ExtractorConfig
from ..errors import HippoError
from .base import Extractor


def make_extractor(config: ExtractorConfig) -> Extractor:
    if config.kind == "spacy":
        from .spacy_extractor import SpacyExtractor

        return SpacyExtractor(model=config.spacy_model, title_links=config.title_links)
    if config.kind == "openie":
        from .openie_file import OpenIEFileExtractor

        if not config.openie_file:
            raise HippoError("extractor.openie_file is required for the 'openie' extractor")
        return OpenIEFileExtractor(config.openie_file)
    raise HippoError(f"extractor.kind: unknown extractor '{config.kind}' (use spacy or openie)")
