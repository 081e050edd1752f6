"""The public JSON API, versioned: ``casedesk.api.v1`` is mounted at ``/api/v1/``.

It is an interface like the portal: it parses input, calls one intake service or selector
and renders JSON. No cookies and no session: the case number and access code are the
applicant's key, exactly as on the portal.
"""
