from django.db import migrations

# Same results as 0004's functions, cheaper per row (an import COPYs 100k rows through
# them): bodies PostgreSQL can inline into the generated columns, and the CJK gram work
# only for names that have CJK characters. CREATE OR REPLACE keeps the columns' links.
FUNCTIONS = r"""
SELECT pg_advisory_xact_lock(7461001);

CREATE OR REPLACE FUNCTION public.crm_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $fn$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $fn$;

CREATE OR REPLACE FUNCTION public.crm_search_text(name text, code text, email text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT lower(public.unaccent('public.unaccent'::regdictionary,
                     coalesce(name, '') || ' ' || coalesce(code, '') || ' '
                     || coalesce(email, ''))) $fn$;

CREATE OR REPLACE FUNCTION public.crm_cjk_grams_of(name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
AS $fn$
DECLARE
  grams text[] := '{}';
  run text;
  i int;
BEGIN
  FOR run IN SELECT m[1] FROM regexp_matches(name,
      '([\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]+)', 'g') AS m LOOP
    FOR i IN 1 .. length(run) LOOP
      grams := grams || substr(run, i, 1);
      IF i < length(run) THEN
        grams := grams || substr(run, i, 2);
      END IF;
    END LOOP;
  END LOOP;
  RETURN ARRAY(SELECT DISTINCT unnest(grams));
END
$fn$;

-- Not STRICT, so that PostgreSQL may inline it (the CASE is not strict).
CREATE OR REPLACE FUNCTION public.crm_cjk_grams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT CASE WHEN $1 ~ '[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]'
            THEN public.crm_cjk_grams_of($1) ELSE '{}'::text[] END
$fn$;
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_customer_search_audit")]

    operations = [migrations.RunSQL(FUNCTIONS, migrations.RunSQL.noop)]
