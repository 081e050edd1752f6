"""Local date formats (``FORMAT_MODULE_PATH``), where Django's own do not suit: English
dates written so that nobody reads 07/12 as July 12th. Languages without a module here
keep Django's formats (Russian: 07.12.2026, unambiguous)."""
