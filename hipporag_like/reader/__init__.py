"""The QA reader: answers from retrieved passages, with checked citations, and IRCoT.

    prompts.py  the reader's prompts (READER_PROMPT_VERSION) and one-shot example
    parsing.py  the model's reply -> answer, citations, refusal (pure)
    calls.py    one cached call to the model
    ircot.py    interleaved reasoning and retrieval, and the merged ranking
    answer.py   answer(index, question, k, mode, llm, cache, steps)
    result.py   Answer, Citation, ReaderInfo, Step
    backends.py the backend for a [reader] table; the "no reader configured" error
    service.py  answer_with_config: backend and cache from the configuration
"""

from .answer import answer
from .backends import NoReaderError, make_reader_backend, reader_from_flags, require_reader, resolve_reader
from .prompts import READER_PROMPT_VERSION
from .result import Answer, Citation, ReaderInfo, Step
from .service import answer_with_config

__all__ = ["answer", "answer_with_config", "Answer", "Citation", "ReaderInfo", "Step", "READER_PROMPT_VERSION",
           "NoReaderError", "make_reader_backend", "reader_from_flags", "require_reader", "resolve_reader"]
