"""The tamper-evident audit log: who did what, when and from where, chained by keyed hashes.

Entries hold ids and codes only, never personal data. See ``services.audit_record`` for
writing, ``selectors.verify_chain`` for checking, ``keys`` for the chain's HMAC key, ``db``
for the append-only table and its grants, ``checkpoints`` and ``tasks`` for the
checkpoints kept outside the database, ``operator`` for the operator of a management
command, and the ``audit_verify`` and ``audit_checkpoint`` commands.
"""
