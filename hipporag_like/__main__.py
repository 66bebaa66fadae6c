"""`python -m hipporag_like`: the command line."""

from .cli import run

run()
