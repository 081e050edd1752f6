import pytest


@pytest.fixture(autouse=True)
def _checkpoint_dir(settings, tmp_path):
    """Each test appends its checkpoints to a directory of its own."""
    settings.CASEDESK_AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
