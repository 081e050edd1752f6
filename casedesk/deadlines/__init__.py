"""Deadline arithmetic: plain functions, dates in, dates out, no database."""
