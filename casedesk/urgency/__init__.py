"""Urgency (issue 19): the rulebook's rules (urgency.yaml) read each new appeal in the
background and flag the urgent cases; staff see the flag in the queues and its reasons on
the case page, and clear it when it is not urgent (docs/urgency.md)."""
