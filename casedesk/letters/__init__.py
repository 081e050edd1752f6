"""Letters to applicants: one template per kind and language in the rulebook (or edited in
the admin), rendered to PDF and DOCX and stored as documents of the case."""
