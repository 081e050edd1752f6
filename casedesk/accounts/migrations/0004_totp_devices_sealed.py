"""Move django-otp's TOTP devices (``otp_totp_totpdevice``, hex secrets in clear) into
``accounts.SecondFactorDevice`` with each secret sealed under a new data key in the key
store, then empty the old table (issue 15, finding 1). The ``otp_totp`` app is no longer
installed, so the old table is read with SQL, and only if it exists. Run it after the key
store is migrated (``make migrate`` does both; on an existing installation the key store
exists already). Sessions verified with an old device sign in with a code again."""

from django.db import migrations

COLUMNS = ["id", "user_id", "name", "confirmed", "key", "step", "t0", "digits", "tolerance",
           "drift", "last_t", "throttling_failure_timestamp", "throttling_failure_count",
           "created_at", "last_used_at"]


def forwards(apps, schema_editor):
    from casedesk.core import crypto

    connection = schema_editor.connection
    if "otp_totp_totpdevice" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM otp_totp_totpdevice")  # noqa: S608
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    Device = apps.get_model("accounts", "SecondFactorDevice")
    aad = f"{Device._meta.db_table}.secret"
    for row in rows:
        key_id = crypto.key_new()
        row.pop("id")
        secret = crypto.seal_text(key_id, row.pop("key"), aad)
        Device.objects.create(key_id=key_id, secret=secret, **row)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM otp_totp_totpdevice")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_second_factor_sealed_enrolment_codes_password_resets"),
        ("core", "0003_datakey"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
