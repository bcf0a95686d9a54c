"""zd-pipeline: an exact, resumable Zendesk → DuckDB replica driven by Dagster.

Layers (each knows only the ones below it):

- ``catalogue``, ``checkpoint``, ``settings``: declarative stream descriptions, resume points, configuration.
- ``simulator``: a faithful Zendesk incremental-export server for the demo, tests and benchmarks.
- ``client``: pages through exports over HTTP (no Dagster, no DuckDB).
- ``warehouse``: applies pages to DuckDB (no HTTP, no Dagster).
- ``pipeline``: Dagster assets, sensor, schedule and resources that wire the client to the warehouse.
"""

__version__ = "0.1.0"
