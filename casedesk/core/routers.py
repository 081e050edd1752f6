"""The key store (wrapped data keys) lives in its own database, alias ``keys``; everything
else in ``default``. See casedesk.core.crypto for why."""

KEYSTORE = "keys"
# A streaming replica (CASEDESK_REPLICA_URL) is read, never migrated: it follows the primary.
REPLICA = "replica"


def _is_keystore(app_label: str, model_name: str | None) -> bool:
    return app_label == "core" and model_name in ("datakey", "destroyedkey")


class KeystoreRouter:
    def db_for_read(self, model, **hints):
        return KEYSTORE if _is_keystore(model._meta.app_label, model._meta.model_name) \
            else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if _is_keystore(app_label, model_name):
            return db == KEYSTORE
        return db not in (KEYSTORE, REPLICA)
