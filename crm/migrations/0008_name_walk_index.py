from django.conf import settings
from django.db import migrations, models

# The unique name index becomes a covering one: a search in name order walks it as an
# index-only scan (crm.selectors.customer_rows). It replaces the field's unique index and
# its unused varchar_pattern_ops twin, so the table keeps as many indexes.


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0007_payment_terms'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(
                fields=('name_key',), name='customer_name_key_unique',
                include=('id', 'search_text', 'name_grams', 'phone_digits', 'code',
                         'home_branch', 'shared', 'owner', 'status')),
        ),
        migrations.AlterField(
            model_name='customer',
            name='name_key',
            field=models.CharField(editable=False, max_length=255),
        ),
    ]
