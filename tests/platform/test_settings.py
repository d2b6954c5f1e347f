"""Settings: defaults, TOML file, environment; bad input names the file."""

from pathlib import Path

import pytest

from kgym.settings import load_settings


def test_defaults_live_under_kgym_home(tmp_path: Path) -> None:
    s = load_settings({"KGYM_HOME": str(tmp_path)})
    assert s.home == tmp_path
    assert s.ccache_dir == tmp_path / "ccache"
    assert s.verify_runs == 3


def test_toml_then_environment_override(tmp_path: Path) -> None:
    (tmp_path / "kgym.toml").write_text('vm_pool_size = 4\nllm_model = "m1"\n')
    s = load_settings({"KGYM_HOME": str(tmp_path), "KGYM_LLM_MODEL": "m2"})
    assert s.vm_pool_size == 4
    assert s.llm_model == "m2"


def test_explicit_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "other.toml"
    cfg.write_text("jobs = 7\n")
    assert load_settings({"KGYM_HOME": str(tmp_path), "KGYM_CONFIG": str(cfg)}).jobs == 7


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "kgym.toml").write_text("jobs = = 2\n")
    with pytest.raises(ValueError, match="kgym.toml"):
        load_settings({"KGYM_HOME": str(tmp_path)})


def test_unknown_setting_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "kgym.toml").write_text("no_such_setting = 1\n")
    with pytest.raises(ValueError, match="no_such_setting"):
        load_settings({"KGYM_HOME": str(tmp_path)})
