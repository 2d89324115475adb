"""Which domains (flow, experiments, dora) a build switched off, as the build recorded it in model
int_domains_enabled: a public mart of a domain switched off is not expected, while one missing from a domain that is
on is a failed build."""

from __future__ import annotations

from flowmetrics.warehouse.connection import Connection

DOMAINS_MODEL = "int_domains_enabled"


def switched_off_domains(con: Connection, schema: str) -> frozenset[str]:
    """The domains the last build in ``schema`` switched off (none when it predates the record or never ran)."""
    if not con.relation_exists(schema, DOMAINS_MODEL):
        return frozenset()
    found = con.query_df(f"select domain_name from {con.qualify(schema, DOMAINS_MODEL)} where not is_enabled")
    return frozenset(str(d) for d in found["domain_name"])
