"""A person's lifecycle: erasure, retention, subject access export, master-key rotation.

``casedesk.people`` itself (the Person model) sits low in the layers, since cases refer
to people. This subpackage reaches across cases, review, letters and intake, so it sits
in a layer of its own above intake (pyproject.toml, import-linter): nothing below may
import it, and the rest of ``people`` never imports it either.
"""
