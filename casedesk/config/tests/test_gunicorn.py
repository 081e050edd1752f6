"""The gunicorn settings module: loadable by gunicorn, and its worker hook freezes what
the app loaded and raises the collector's thresholds."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from casedesk.config import gunicorn as config

REPO = Path(__file__).resolve().parents[3]


def test_the_worker_hook_freezes_the_loaded_app_and_raises_the_thresholds():
    before = gc.get_threshold()
    try:
        config.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == config.GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_gunicorn_reads_the_settings():
    code = ("from gunicorn.config import Config; from gunicorn.app.base import Application;"
            "import runpy; c = Config();"
            "[c.set(k, v) for k, v in runpy.run_module('casedesk.config.gunicorn').items()"
            " if k in c.settings];"
            "print(c.worker_class_str, c.post_worker_init.__module__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,  # noqa: S603
                          text=True, check=True)
    assert done.stdout.split() == ["gthread", "casedesk.config.gunicorn"]
