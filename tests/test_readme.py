"""The README's Python examples run as written, and the front door shows what the brief says."""
import os
import re
import subprocess
import sys

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_readme_python_examples_run(tmp_path):
    """Every ```python block, in order, as one script in a fresh folder that sees data/."""
    code = "\n".join(re.findall(r"```python\n(.*?)```", README, flags=re.S))
    assert "fnn.forward" in code and "fnn.backward" in code and "fnn.update" in code
    (tmp_path / "data").symlink_to(ROOT / "data")
    (tmp_path / "example.py").write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    test_acc = float(re.search(r"test accuracy ([0-9.]+)", run.stdout).group(1))
    assert test_acc >= 0.92, run.stdout          # the README says "about 0.94"
    assert (tmp_path / "my_cnn.npz").exists()


def test_readme_front_door():
    assert "pip install -r requirements.txt" in README
    assert "python -m pytest" in README
    assert "python draw.py" in README and "python train.py" in README
    for path in re.findall(r"\]\(((?:docs|data)/[^)#]+)", README):
        assert (ROOT / path).exists(), f"README links to missing {path}"
