"""Config fragments: parsing, the base fragment, the check after olddefconfig."""

from __future__ import annotations

import pytest

from actors.build_cache import kconfig


def test_base_fragment_parses_and_request_overrides_it():
    wanted = kconfig.requested(kconfig.fragment('CONFIG_KASAN=n\nCONFIG_FOO="bar"\n'))
    assert wanted["CONFIG_KASAN"] == "n"
    assert wanted["CONFIG_FOO"] == '"bar"'
    assert wanted["CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN"] == "n"  # `=n` in base.config


def test_not_set_means_n_and_comments_do_not_count():
    a = kconfig.requested("# CONFIG_X is not set\nCONFIG_Y=y\n")
    b = kconfig.requested("# a comment\nCONFIG_X=n\n\nCONFIG_Y=y\n")
    assert a == b == {"CONFIG_X": "n", "CONFIG_Y": "y"}
    assert kconfig.digest(a) == kconfig.digest(b)
    assert kconfig.digest(a) != kconfig.digest({"CONFIG_X": "y", "CONFIG_Y": "y"})


def test_bad_fragment_line_is_named():
    with pytest.raises(kconfig.ConfigFailed) as e:
        kconfig.requested("CONFIG_OK=y\nKASAN=y\n")
    assert e.value.errors == ["fragment line 2: 'KASAN=y' is not a CONFIG_ option"]


def test_dropped_option_is_an_error_naming_it():
    config = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\n"
    wanted = {"CONFIG_A": "y", "CONFIG_B": "n", "CONFIG_D": "n", "CONFIG_C": "y", "CONFIG_E": "y"}
    errors = kconfig.check(config, wanted)
    assert len(errors) == 2
    assert errors[0].startswith("CONFIG_C=y was requested but is m")
    assert errors[1].startswith("CONFIG_E=y was requested but is not set")


def test_canonical_fragment_round_trips():
    wanted = {"CONFIG_A": "y", "CONFIG_B": "n", "CONFIG_S": '"x y"'}
    assert kconfig.requested(kconfig.canonical(wanted)) == wanted
