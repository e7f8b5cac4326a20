"""The indexer: files → clean text → metadata → paragraph chunks → domains → index.

Each step is its own module, in the order the data flows:
``read`` → ``repair`` → ``clean`` → ``meta`` → ``chunk`` → ``domains`` → ``build``.
"""
