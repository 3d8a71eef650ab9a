from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_customers")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE crm_customer_code_seq START 1",
            "DROP SEQUENCE crm_customer_code_seq",
        ),
    ]
