"""The tamper-evident audit log: who did what, when and from where, chained by hashes.

Entries hold ids and codes only, never personal data. See ``services.audit_record`` for
writing, ``selectors.verify_chain`` for checking, and the ``audit_verify`` and
``audit_checkpoint`` commands.
"""
