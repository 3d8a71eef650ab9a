"""The layering contract of pyproject.toml holds: composition (config) on top, then the
benchmarks, the interfaces (api), exchange, finance, crm, tenants, the ground module.
A lower layer that imports a higher one fails here (and in `make lint`)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_layers_contract_is_kept():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_no_domain_package_imports_the_api():
    # The layers say it too; spelled out because it is the rule the web app relies on.
    offenders = []
    for package in ("saas_platform", "tenants", "crm", "finance", "exchange"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "from api" in text or "import api" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
