"""Version 1 of the public API. ``api`` (in ``casedesk.api.v1.api``) is the NinjaAPI to
mount; its OpenAPI schema is served at ``openapi.json`` under the mount point."""
