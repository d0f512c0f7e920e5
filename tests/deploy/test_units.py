"""The systemd units are valid (systemd-analyze, with this checkout in place of /srv/hhht-power), and the
template renderer refuses to leave a placeholder unfilled."""

import shutil
import subprocess
import sys

import pytest

from tests.deploy.stack import ROOT

sys.path.insert(0, str(ROOT / "deploy"))
from render import render  # noqa: E402  (deploy/render.py is a script, not a package)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_units_are_valid(tmp_path):
    for unit in (ROOT / "deploy/systemd").glob("*.service"):
        text = unit.read_text(encoding="utf-8").replace("/srv/hhht-power", str(ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    units = sorted(str(p) for p in tmp_path.glob("*.service"))
    assert len(units) == 3
    out = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr == "", out.stderr


def test_render_fills_upper_case_placeholders_only_and_refuses_missing_ones():
    assert render("listen ${PORT}; return 301 $scheme://$host;", {"PORT": "443"}) == (
        "listen 443; return 301 $scheme://$host;"
    )
    with pytest.raises(KeyError, match="TLS_CERT"):
        render("ssl_certificate ${TLS_CERT};", {})
