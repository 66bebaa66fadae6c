"""hipporag-like: multi-hop retrieval over a knowledge graph with Personalized PageRank."""

from ._version import __version__  # noqa: E402

from .config import EmbedderConfig, GraphConfig, ExtractorConfig, PipelineConfig, ReaderConfig, RetrievalConfig, VectorsConfig, load_pipeline  # noqa: E402
from .corpus import Passage, read_corpus  # noqa: E402
from .errors import HippoError, IndexFormatError, InputError  # noqa: E402
from .index import Index  # noqa: E402
from .results import FactHit, RetrievalResult, RetrievedPassage, SeedPhrase, Why  # noqa: E402
from .retrieval import MODES  # noqa: E402

__all__ = [
    "Index", "Passage", "read_corpus", "PipelineConfig", "ExtractorConfig", "EmbedderConfig", "GraphConfig",
    "VectorsConfig", "RetrievalConfig", "ReaderConfig", "load_pipeline", "RetrievalResult", "RetrievedPassage", "SeedPhrase",
    "FactHit", "Why", "HippoError", "IndexFormatError", "InputError", "MODES",
]
