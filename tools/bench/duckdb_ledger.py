"""The access ledger's queries in DuckDB over its Parquet export: the baseline of
`custos bench ledger`. Reads the Parquet file (argv[1]) and a JSON file of queries (argv[2]):
{"account_day": [[account, from_rfc3339, to_rfc3339], ...], "ip_month": [[ip, from, to], ...]}.
Prints JSON: each kind's p50 and p99 in microseconds, and the DuckDB version."""
import json
import sys
import time

import duckdb

parquet, queries = sys.argv[1], json.load(open(sys.argv[2]))
c = duckdb.connect()
c.execute("CREATE VIEW events AS SELECT * FROM read_parquet('%s')" % parquet.replace("'", "''"))
c.execute("SELECT count(*) FROM events").fetchall()  # warm the metadata


def run(sql, params):
    times = []
    for p in params:
        t = time.perf_counter()
        c.execute(sql, p).fetchall()
        times.append((time.perf_counter() - t) * 1e6)
    times.sort()
    return {"n": len(times), "p50_us": times[len(times) // 2],
            "p99_us": times[min(len(times) - 1, int(len(times) * 0.99))]}


out = {
    "duckdb": duckdb.__version__,
    "account_day": run(
        "SELECT index, account_id, epoch_ns(time), ip, port, action, source, actor, user_agent, "
        "request_id FROM events WHERE account_id = ? AND time BETWEEN ?::TIMESTAMPTZ AND ?::TIMESTAMPTZ",
        queries["account_day"]),
    "ip_month": run(
        "SELECT account_id, count(*), min(epoch_ns(time)), max(epoch_ns(time)) FROM events "
        "WHERE ip = ? AND time BETWEEN ?::TIMESTAMPTZ AND ?::TIMESTAMPTZ GROUP BY account_id",
        queries["ip_month"]),
}
print(json.dumps(out))
