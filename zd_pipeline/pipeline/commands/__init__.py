"""The ``zd-pipeline`` commands that drive Dagster (``sync``, ``demo``, ``dev``). Dagster is imported inside ``run`` so
the argument parser stays light."""
