"""What a tenant schema is made of, read from the catalogue with its own name taken out, so
that two schemas can be compared: columns, defaults, indexes, constraints, triggers,
functions, sequences (and their values), views and every table's rows.

Used to prove that a schema built by replaying the template's DDL is the template's twin
(tenants.schema_builder) and by the tests that say so.
"""

from django.db import connection

_SELF = "§schema§"  # the compared schema's own name, wherever it is spelled out

_COLUMNS = """
    SELECT c.relname, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname,
           format_type(a.atttypid, a.atttypmod), a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
           coalesce(co.collname, ''), a.attstattarget, a.attstorage
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100
    WHERE n.nspname = %(schema)s AND a.attnum > 0 AND NOT a.attisdropped
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""
_RELATIONS = """
    SELECT c.relname, c.relkind, c.relpersistence, c.relreplident,
           coalesce(array_to_string(c.reloptions, ','), ''),
           CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) ELSE '' END
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s
"""
_INDEXES = """
    SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(schema)s
"""
_CONSTRAINTS = """
    SELECT coalesce(c.relname, ''), con.conname, con.contype, pg_get_constraintdef(con.oid),
           con.condeferrable, con.condeferred, con.convalidated
    FROM pg_constraint con
    JOIN pg_namespace n ON n.oid = con.connamespace
    LEFT JOIN pg_class c ON c.oid = con.conrelid
    WHERE n.nspname = %(schema)s
"""
_TRIGGERS = """
    SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND NOT t.tgisinternal
"""
_FUNCTIONS = """
    SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = %(schema)s AND p.prokind IN ('f', 'p')
"""
_SEQUENCES = """
    SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax,
           s.seqmin, s.seqcache, s.seqcycle,
           coalesce((SELECT oc.relname || '.' || a.attname || ':' || d.deptype::text
                     FROM pg_depend d
                     JOIN pg_class oc ON oc.oid = d.refobjid
                     JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                     WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '')
    FROM pg_sequence s
    JOIN pg_class c ON c.oid = s.seqrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s
"""
_TABLES = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p') ORDER BY 1
"""


def _anonymous(value, schema: str):
    if isinstance(value, str):
        return (value.replace(f'"{schema}".', f"{_SELF}.")
                .replace(f"{schema}.", f"{_SELF}."))
    return value


def _rows(cursor, query: str, schema: str) -> list[tuple]:
    cursor.execute(query, {"schema": schema})
    return sorted(tuple(_anonymous(v, schema) for v in row) for row in cursor.fetchall())


def schema_catalogue(schema: str) -> dict[str, list[tuple]]:
    """Everything that makes up `schema`, its own name replaced by a marker."""
    catalogue = {}
    with connection.cursor() as cursor:
        for kind, query in [("columns", _COLUMNS), ("relations", _RELATIONS),
                            ("indexes", _INDEXES), ("constraints", _CONSTRAINTS),
                            ("triggers", _TRIGGERS), ("functions", _FUNCTIONS),
                            ("sequences", _SEQUENCES)]:
            catalogue[kind] = _rows(cursor, query, schema)
        values = []
        for (name, *_rest) in catalogue["sequences"]:
            cursor.execute(f'SELECT last_value, is_called FROM "{schema}"."{name}"')
            values.append((name, *cursor.fetchone()))
        catalogue["sequence values"] = values
        cursor.execute(_TABLES, {"schema": schema})
        tables = [row[0] for row in cursor.fetchall()]
        contents = []
        for table in tables:
            cursor.execute(
                "SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), ''))"
                f' FROM "{schema}"."{table}" t')
            contents.append((table, *cursor.fetchone()))
        catalogue["rows"] = contents
    return catalogue


def catalogue_differences(expected: str, actual: str) -> list[str]:
    """What `actual` lacks or has in excess of `expected`, one line each (empty: identical)."""
    want, have = schema_catalogue(expected), schema_catalogue(actual)
    differences = []
    for kind in want:
        missing = sorted(set(want[kind]) - set(have[kind]))
        extra = sorted(set(have[kind]) - set(want[kind]))
        differences += [f"{kind}: missing {row}" for row in missing]
        differences += [f"{kind}: unexpected {row}" for row in extra]
    return differences
