"""The queues' order within an office as an index on ``cases_case``.

``selectors.case_queue`` orders by ``next_due_on ASC NULLS LAST, received_at, id``
(``NULLS LAST`` is the btree default for ASC), so a page of an office's cases, with or
without a search, is read from this index in order instead of sorting every case of the
office. The index also holds ``office_id`` and ``id``, so a search count can take the
office's case ids from it (index-only) rather than from the cases' table.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_case_search'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['office', 'next_due_on', 'received_at', 'id'],
                               name='case_office_order'),
        ),
    ]
