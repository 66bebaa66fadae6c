"""Thin entry to the command line, for running from a checkout: `python cli.py --help`.

The installed console script `hipporag-like` calls the same function.
"""

from hipporag_like.cli import run

if __name__ == "__main__":
    run()
