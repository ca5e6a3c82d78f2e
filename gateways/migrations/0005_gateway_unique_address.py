"""One address, one gateway record: the same host:port may not be filed under two sites.

Addresses filed twice before were untangled by 0004 (its own transaction: PostgreSQL will not
alter a table with row changes pending in the same one)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gateways", "0004_gateway_identity"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="gateway",
            constraint=models.UniqueConstraint(
                condition=models.Q(("host", ""), _negated=True),
                fields=("host", "port"),
                name="gateway_unique_address",
            ),
        ),
    ]
