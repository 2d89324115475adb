"""Load raw tables into, and dump relations out of, the local Spark session dbt-spark uses (method: session).

Runs with the Spark venv's Python (pyspark only: no flowmetrics import), in the same working directory as dbt,
so it sees the same Hive metastore (metastore_db/) and warehouse (spark-warehouse/):

    .venv-spark/bin/python tests/harness/spark_io.py load raw/tickets.parquet raw/ticket_status_changes.parquet ...
    .venv-spark/bin/python tests/harness/spark_io.py dump OUT_DIR fct_work_items fct_stage_visits ...
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import TimestampNTZType

RAW_SCHEMA = "raw"


def session() -> SparkSession:
    """The session dbt-spark builds (Hive support), with the profile's settings."""
    return (
        SparkSession.builder.enableHiveSupport()
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("FLOWMETRICS_SPARK_MEMORY", "2g"))
        .getOrCreate()
    )


def load(spark: SparkSession, files: list[str]) -> None:
    """Each Parquet file becomes table raw.<file stem>, replacing it; naive timestamps (UTC) become timestamps."""
    spark.sql(f"create database if not exists {RAW_SCHEMA}")
    for file in files:
        name = Path(file).stem
        frame = spark.read.parquet(str(Path(file).resolve()))
        for field in frame.schema.fields:
            if isinstance(field.dataType, TimestampNTZType):
                frame = frame.withColumn(field.name, F.col(field.name).cast("timestamp"))
        frame.write.mode("overwrite").format("parquet").saveAsTable(f"{RAW_SCHEMA}.{name}")
        print(f"raw.{name}: {spark.table(f'{RAW_SCHEMA}.{name}').count()} rows")


def dump(spark: SparkSession, out: str, relations: list[str]) -> None:
    """Each relation of the dbt schema as a Parquet directory OUT/<relation>."""
    schema = os.environ.get("FLOWMETRICS_SPARK_SCHEMA", "analytics")
    for name in relations:
        spark.table(f"{schema}.{name}").coalesce(1).write.mode("overwrite").parquet(str(Path(out) / name))


def main() -> None:
    command, *args = sys.argv[1:]
    spark = session()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        if command == "load":
            load(spark, args)
        elif command == "dump":
            dump(spark, args[0], args[1:])
        else:
            sys.exit(f"unknown command {command!r}: load FILES... | dump OUT_DIR RELATIONS...")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
