"""Open a distill lake from a notebook, the way any Iceberg reader would.

The catalog is pyiceberg's SQL catalog over <lake>/catalog.db (catalog name
"distill"); each table's current snapshot is scanned to Arrow and handed to
DuckDB as a view, so the notebooks query it with plain SQL. No data file is
ever opened by path.

The lake is $DISTILL_LAKE (default ../demo/lake, relative to the notebook: where
`make demo` puts it); the filter namespace is $DISTILL_FILTER_NS (default
sustainability_tech_deployment).
"""

import os
import sqlite3
from pathlib import Path

import duckdb
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.expressions import AlwaysFalse, In

LAKE = Path(os.environ.get("DISTILL_LAKE") or "../demo/lake")
NS = os.environ.get("DISTILL_FILTER_NS") or "sustainability_tech_deployment"

# The command that writes each table, for "not there yet" messages.
MADE_BY = {
    "labels": "distill label",
    "oracle_calls": "distill label",
    "splits": "distill split",
    "models": "distill train",
    "predictions": "distill predict",
    "evaluations": "distill eval",
    "compressed": "distill compress",
}


class Lake:
    """A lake's catalog and a DuckDB connection that holds the tables loaded so far."""

    def __init__(self, path=LAKE, ns=NS):
        self.path, self.ns = Path(path).resolve(), ns
        if not (self.path / "catalog.db").is_file():
            raise FileNotFoundError(
                f"no lake at {self.path}: run `make demo` in the repository, or set DISTILL_LAKE"
            )
        self._check_root()
        self.catalog = SqlCatalog(
            "distill",
            uri=f"sqlite:///{self.path}/catalog.db",
            warehouse=f"file://{self.path}/warehouse",
        )
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")  # timestamps print in UTC, as distill prints them
        self.dimensions = []

    def _check_root(self):
        """A lake that was moved or copied still names its old folder in its
        Iceberg metadata until distill opens it once and rewrites the paths;
        reading it before that would read the old folder's files (for a copy:
        its source's). distill records the folder it last rewrote the lake for
        in catalog.db (table distill_lake, key root)."""
        con = sqlite3.connect(f"file:{self.path / 'catalog.db'}?mode=ro", uri=True)
        try:
            has = con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'distill_lake'").fetchone()[0]
            rows = con.execute("SELECT key, value FROM distill_lake").fetchall() if has else []
        finally:
            con.close()
        props = dict(rows)
        root = props.get("root")
        moved = root is not None and not (Path(root).exists() and Path(root).samefile(self.path))
        if moved or props.get("relocating-to"):
            raise RuntimeError(
                f"the lake at {self.path} was moved or copied from {root}: run any distill command on it once "
                f"(e.g. `distill --lake {self.path} tables`) so that its paths point at its new folder, then reopen it"
            )

    def __repr__(self):
        lines = [f"lake {self.path}, filter namespace {self.ns}"]
        if not self.catalog.namespace_exists(self.ns):
            return lines[0] + f"\n  (no namespace {self.ns} yet: nothing was prefiltered with this filter)"
        for ns, name in sorted(self.catalog.list_tables(self.ns)):
            tbl = self.catalog.load_table(f"{ns}.{name}")
            snap = tbl.current_snapshot()
            rows = snap.summary.additional_properties.get("total-records", "?") if snap else "0"
            lines.append(f"  {ns}.{name}: {rows} rows")
        return "\n".join(lines)

    def full_name(self, table):
        return table if "." in table else f"{self.ns}.{table}"

    def load(self, table, view=None, columns=("*",), ids=None):
        """Register the current snapshot of `table` ("labels" is <ns>.labels,
        "corpus.raw" is taken as is) as the DuckDB view `view` (default: the
        table's name). `columns` and `ids` narrow the scan (pyiceberg pushes
        both down). Returns the number of rows; None when the table does not
        exist yet. Either way, an absent or empty table is said in the output."""
        name = self.full_name(table)
        view = view or name.split(".")[-1]
        hint = MADE_BY.get(name.split(".")[-1])
        hint = f" (`{hint}` writes it)" if hint else ""
        if not self.catalog.table_exists(name):
            print(f"{name} does not exist yet{hint}")
            return None
        scan = self.catalog.load_table(name).scan(selected_fields=tuple(columns))
        if ids is not None:
            scan = scan.filter(In("id", list(ids)) if ids else AlwaysFalse())
        arrow = scan.to_arrow()
        self.con.register(view, arrow)
        if arrow.num_rows == 0 and ids is None:
            print(f"{name} has no rows yet{hint}")
        return arrow.num_rows

    def latest_labels(self):
        """One label per article: its latest (by labeled_at, ties by run_id then
        cache_key), as `distill stats`/`split`/`eval` do with --combine latest.
        Creates the view latest_labels and the table dims (dimension, pos);
        needs labels. Returns the dimension names (the label columns that have
        an `_evidence` column)."""
        cols = [r[0] for r in self.con.sql("DESCRIBE labels").fetchall()]
        self.dimensions = [c for c in cols if f"{c}_evidence" in cols]
        self.con.execute(
            """CREATE OR REPLACE VIEW latest_labels AS
               SELECT * FROM labels
               QUALIFY row_number() OVER (PARTITION BY id ORDER BY labeled_at DESC, run_id DESC, cache_key DESC) = 1"""
        )
        self.con.execute("CREATE OR REPLACE TABLE dims (dimension VARCHAR, pos INTEGER)")
        self.con.executemany("INSERT INTO dims VALUES (?, ?)", [(d, i) for i, d in enumerate(self.dimensions, 1)])
        return self.dimensions

    def columns(self, *extra):
        """The dimension columns (and `extra` ones), quoted for SQL: "a", "b"."""
        return ", ".join('"' + c.replace('"', '""') + '"' for c in [*self.dimensions, *extra])

    @staticmethod
    def literals(values):
        """Strings as SQL literals, comma-separated: 'a', 'b'."""
        return ", ".join("'" + v.replace("'", "''") + "'" for v in values)

    def tiers(self):
        """Tier names from the highest to the lowest (by the lowest overall score seen in each)."""
        return [r[0] for r in self.con.sql("SELECT tier FROM latest_labels GROUP BY tier ORDER BY min(overall) DESC").fetchall()]

    def sql(self, query, **params):
        return self.con.sql(query, params=params or None)

    def show(self, query, max_rows=60, **params):
        """Print a query's result as a table."""
        self.sql(query, **params).show(max_width=200, max_rows=max_rows, max_col_width=60, null_value="")
