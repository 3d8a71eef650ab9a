import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

# The name buckets (crm.name_buckets). Writers only append the name keys they write to
# crm_customernamedirty, set-wise (one row per INSERT statement, so a COPY of 100k
# customers adds one row; one per renamed customer); the refresh function recomputes the
# buckets those keys fall in, splitting the ones grown past twice the target size, and
# consumes the dirty rows it has read. It reads the customers after the dirty rows (a later
# snapshot in READ COMMITTED): every customer behind a consumed row is in the new grams.
# Grams: pg_trgm's trigrams of search_text that are three characters without a space (the
# unpadded ones a substring's letters and digits imply) and the CJK grams of the name.
TRIGGERS = r"""
CREATE FUNCTION crm_customer_name_added() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO crm_customernamedirty (low, high)
  SELECT min(name_key), max(name_key) FROM added HAVING count(*) > 0;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER crm_customer_name_added AFTER INSERT ON crm_customer
REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION crm_customer_name_added();

CREATE FUNCTION crm_customer_name_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO crm_customernamedirty (low, high) VALUES (NEW.name_key, NEW.name_key);
  RETURN NULL;
END
$fn$;
CREATE TRIGGER crm_customer_name_changed AFTER UPDATE ON crm_customer FOR EACH ROW
WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key OR OLD.search_text IS DISTINCT FROM
      NEW.search_text OR OLD.name_grams IS DISTINCT FROM NEW.name_grams)
EXECUTE FUNCTION crm_customer_name_changed();

CREATE FUNCTION crm_customer_name_buckets_refresh(bucket_rows integer) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  seen bigint[];
  written integer;
BEGIN
  -- One refresh at a time in a schema.
  PERFORM pg_advisory_xact_lock(7461002, hashtext(current_schema()));
  SELECT array_agg(id) INTO seen FROM crm_customernamedirty;
  IF seen IS NULL THEN
    RETURN 0;
  END IF;
  DROP TABLE IF EXISTS pg_temp.crm_name_hit;
  CREATE TEMP TABLE crm_name_hit ON COMMIT DROP AS
  SELECT b.lo, b.hi FROM (
    SELECT first_key AS lo, lead(first_key) OVER (ORDER BY first_key) AS hi
    FROM crm_customernamebucket) b
  WHERE EXISTS (SELECT FROM crm_customernamedirty d WHERE d.id = ANY (seen)
                AND (b.hi IS NULL OR d.low < b.hi) AND (d.high IS NULL OR d.high >= b.lo));
  DROP TABLE IF EXISTS pg_temp.crm_name_new;
  CREATE TEMP TABLE crm_name_new ON COMMIT DROP AS
  WITH keyed AS (
    SELECT h.lo, c.name_key, c.search_text, c.name_grams,
           row_number() OVER (PARTITION BY h.lo ORDER BY c.name_key) AS rn,
           count(c.name_key) OVER (PARTITION BY h.lo) AS n
    FROM crm_name_hit h
    LEFT JOIN LATERAL (
      SELECT name_key, search_text, name_grams FROM crm_customer
      WHERE name_key >= h.lo AND (h.hi IS NULL OR name_key < h.hi)) c ON true
  ), chunked AS (
    SELECT lo, name_key, search_text, name_grams,
           CASE WHEN n > 2 * bucket_rows THEN (rn - 1) / bucket_rows ELSE 0 END AS chunk
    FROM keyed
  ), grams AS (
    SELECT k.lo, k.chunk, g FROM chunked k,
    unnest(public.show_trgm(k.search_text) || k.name_grams) AS g
    WHERE length(g) < 4 AND strpos(g, ' ') = 0
    GROUP BY k.lo, k.chunk, g
  ), gram_sets AS (
    SELECT lo, chunk, array_agg(g) AS grams FROM grams GROUP BY lo, chunk
  )
  SELECT CASE WHEN k.chunk = 0 THEN k.lo ELSE k.first_key END AS first_key, k.rows,
         coalesce(s.grams, '{}') AS grams
  FROM (SELECT lo, chunk, min(name_key) AS first_key, count(name_key)::integer AS rows
        FROM chunked GROUP BY lo, chunk) k
  LEFT JOIN gram_sets s ON s.lo = k.lo AND s.chunk = k.chunk;
  DELETE FROM crm_customernamebucket WHERE first_key IN (SELECT lo FROM crm_name_hit);
  INSERT INTO crm_customernamebucket (first_key, rows, grams)
  SELECT first_key, rows, grams FROM crm_name_new;
  GET DIAGNOSTICS written = ROW_COUNT;
  DELETE FROM crm_customernamedirty WHERE id = ANY (seen);
  RETURN written;
END
$fn$;

-- Every key is in the first bucket until the first refresh, which the migration runs.
INSERT INTO crm_customernamebucket (first_key, rows, grams) VALUES ('', 0, '{}');
INSERT INTO crm_customernamedirty (low, high) VALUES ('', NULL);
SELECT crm_customer_name_buckets_refresh(1000);
"""

UNDO = r"""
DROP TRIGGER crm_customer_name_added ON crm_customer;
DROP TRIGGER crm_customer_name_changed ON crm_customer;
DROP FUNCTION crm_customer_name_added();
DROP FUNCTION crm_customer_name_changed();
DROP FUNCTION crm_customer_name_buckets_refresh(integer);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0008_name_walk_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerNameDirty',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('low', models.CharField(max_length=255)),
                ('high', models.CharField(max_length=255, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='CustomerNameBucket',
            fields=[
                ('first_key', models.CharField(max_length=255, primary_key=True, serialize=False)),
                ('rows', models.IntegerField()),
                ('grams', django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None)),
            ],
            options={
                'indexes': [django.contrib.postgres.indexes.GinIndex(fields=['grams'], name='customer_name_bucket_grams')],
            },
        ),
        migrations.RunSQL(TRIGGERS, UNDO),
    ]
