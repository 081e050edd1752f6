"""Cases, appeals, events and documents are not in the Django admin (issue 15, finding 1):
the admin showed their decrypted texts to the administrator without an audit entry.
Staff read them on the staff pages, which check office and role and audit each read;
``accounts.admin_site.ADMIN_MODELS`` keeps them out even if registered. The rulebook
page that lived here is the admin site's (``admin:cases_rulebook``)."""
