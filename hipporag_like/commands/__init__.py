"""Commands kept in modules of their own, registered on the `hipporag-like` group in cli.py."""
