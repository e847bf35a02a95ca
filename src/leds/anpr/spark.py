"""The same feature pipeline on Spark (``--engine spark``): for months of national reads.

The SQL steps are :func:`leds.anpr.features.steps`, unchanged; Spark reads the same
day-partitioned Parquet (only the days inside retention) and runs them as temporary views.
The feature rows (one per vehicle and route that has a trip: thousands, not millions) come
back to the driver and are scored by the same :class:`leds.anpr.model.Model`.  Locally this
is ``local[2]``; on a cluster, set ``spark.master`` through the usual Spark configuration
(``SPARK_HOME/conf``) and point ``LEDS_HOME`` at shared storage.
"""

from __future__ import annotations

from typing import Any

from leds.config import Settings

from . import features, store


def session(app: str = "leds-anpr") -> Any:
    from pyspark.sql import SparkSession

    return (SparkSession.builder.appName(app)
            .config("spark.master", "local[2]")
            .config("spark.sql.shuffle.partitions", "2")  # local[2]: one task per core per stage
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
            .getOrCreate())


def features_spark(settings: Settings, routes: list[dict[str, Any]], spark: Any = None,
                   since: str | None = None) -> Any:
    """The feature rows as a pandas DataFrame, computed by Spark SQL."""
    spark = spark or session()
    reads = (spark.read.option("basePath", str(store.reads_dir(settings)))
             .parquet(str(store.reads_dir(settings) / "day=*"))
             .where(f"day >= '{max(store.cutoff(settings), since or '')}'"))
    reads.createOrReplaceTempView("reads")
    spark.createDataFrame(features.route_rows(routes), "route string, camera_id string, role string") \
        .createOrReplaceTempView("route_cams")
    for name, sql in features.steps("reads", "route_cams"):
        spark.sql(sql).createOrReplaceTempView(name)
    out = spark.sql("SELECT * FROM a_feat ORDER BY route, vkey").toPandas()
    for f in features.FEATURES:
        out[f] = out[f].astype(float)
    return out
