import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stdlib_platform_is_not_shadowed():
    # The design's `platform/` package is named saas_platform/ for exactly this reason.
    result = subprocess.run(
        [sys.executable, "-c", "import platform, uuid; print(platform.system())"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "Linux"
    assert not (ROOT / "platform").exists()
