"""One SparkContext (one JVM, local[2]) for every Spark test of this folder;
each lake gets its own session from it (enginelib.catalog_session)."""

import pytest

import enginelib as E


@pytest.fixture(scope="session")
def spark_base(tmp_path_factory):
    reason = E.spark_unavailable()
    if reason is not None:
        pytest.fail(f"DISTILL_ENGINES_REQUIRED=1 but the Spark tests cannot run: {reason}", pytrace=False)
    base = E.spark_base(tmp_path_factory.mktemp("spark"))
    yield base
    base.stop()
