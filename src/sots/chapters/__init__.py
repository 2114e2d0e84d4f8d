"""Each chapter's logic, one module per notebook: the figures it records, the tables it shows, the sentences it glues.

A module's functions take the chapter's context (:class:`sots.chapters.context.Chapter`) and plain values and return
data frames, numbers or text, so a notebook is its parameters cell, one setup line, calls, charts and glue, and the
logic is unit-tested here rather than only by running the notebook.
"""
