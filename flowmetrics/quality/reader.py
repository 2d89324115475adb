"""How the gate reads the warehouse: marts through the one MartReader, raw and package tables by schema, and the
published relations from a publish snapshot when the gate checks one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from flowmetrics.contract import RAW_SCHEMA
from flowmetrics.quality.suite import Layer
from flowmetrics.warehouse.connection import Connection
from flowmetrics.warehouse.marts import MartReader
from flowmetrics.warehouse.package_tables import PACKAGE_SCHEMA
from flowmetrics.warehouse.publish import published_relations


class GateReader:
    """Read-only access to the relations the suites check, in the schemas each layer lives in.

    With ``snapshot`` (a publish snapshot schema), every published relation is read from the snapshot, so the gate
    checks exactly what readers will see; raw, staging and the package's own tables are read where they live.
    """

    def __init__(self, connection: Connection, dbt_schema: str | None = None, snapshot: str | None = None):
        self.connection = connection
        self.marts = MartReader(connection, dbt_schema)
        self.dbt_schema = self.marts.schema
        self.snapshot = snapshot
        # the relations a publish copies into its snapshot, as the suites name them (layer, relation)
        self.published = frozenset((Layer(p.layer), p.name) for p in published_relations())

    def schema(self, layer: Layer, name: str) -> str:
        if self.snapshot is not None and (layer, name) in self.published:
            return self.snapshot
        if layer is Layer.RAW:
            return RAW_SCHEMA
        if layer is Layer.PACKAGE:
            return PACKAGE_SCHEMA
        return self.dbt_schema

    def qualified(self, layer: Layer, name: str) -> str:
        if layer is Layer.MART:
            self.marts.relation(name)  # only registered marts are read
        return self.connection.qualify(self.schema(layer, name), name)

    def exists(self, layer: Layer, name: str) -> bool:
        return self.connection.relation_exists(self.schema(layer, name), name)

    def df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self.connection.query_df(sql, params)

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        frame = self.df(sql, params)
        if frame.empty:
            return None
        value: Any = frame.iloc[0, 0]
        return None if pd.isna(value) else value

    def chunks(self, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
        return self.connection.iter_df(sql, chunk_rows)
