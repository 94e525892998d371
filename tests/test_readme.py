"""The README's Python examples run as written, its front door has the commands the brief names,
and its Results block is what benchmarks/readme_results.py makes of the files the figures'
commands wrote."""
import importlib.util
import os
import re
import sys

from conftest import ROOT, Early

README = (ROOT / "README.md").read_text(encoding="utf-8")


def queue_early(d):
    """Every ```python block, in order, as one script in a fresh folder d that sees data/, run
    in the background from the start of the session (conftest.Early)."""
    code = "\n".join(re.findall(r"```python\n(.*?)```", README, flags=re.S))
    (d / "data").symlink_to(ROOT / "data")
    (d / "example.py").write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return {"code": code, "folder": d,
            "run": Early.command([sys.executable, "example.py"], cwd=d, env=env)}


def test_readme_python_examples_run(early):
    """The script of queue_early ran to the end and printed the accuracy the README states."""
    code = early["code"]
    assert "fnn.forward" in code and "fnn.backward" in code and "fnn.update" in code
    run = early["run"].result()
    assert run.returncode == 0, run.stderr
    test_acc = float(re.search(r"test accuracy ([0-9.]+)", run.stdout).group(1))
    assert test_acc >= 0.93, run.stdout          # the README says "about 0.95"
    assert (early["folder"] / "my_cnn.npz").exists()


def test_readme_front_door():
    for command in ("pip install -r requirements.txt", "python draw.py", "python train.py",
                    "python -m pytest", "pip install ."):
        assert command in README, command
    for path in re.findall(r"\]\(((?:docs|data)/[^)#]+)", README):
        assert (ROOT / path).exists(), f"README links to missing {path}"


def test_readme_results_block_is_generated_from_its_sources():
    spec = importlib.util.spec_from_file_location("readme_results",
                                                  ROOT / "benchmarks" / "readme_results.py")
    readme_results = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme_results)
    assert readme_results.current(README) == readme_results.render(), \
        "rerun python benchmarks/readme_results.py"
