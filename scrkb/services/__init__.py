"""Use cases: what the CLI, the API and the web pages do, written once.

Each module is one use case over the layers below (``ingest``, ``nlp``, ``index``):
``ingest`` (files into the knowledge base), ``crawl`` (crawl, then ingest), ``jobs``
(ingest and crawl in the background), ``retag``, ``precedent``, ``packs``, ``exports``,
``reports`` (the original file, counts), ``themes`` (a theme in depth), ``uploads``
(received files) and ``samples`` (the demo corpus). ``container.Services`` holds what a
server process shares between requests.
"""
