"""The evaluation harness: dataset loaders, metrics, and the runner behind `hipporag-like eval`.

Kept apart from the query path: nothing in retrieval imports from here.
"""
