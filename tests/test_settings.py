"""Settings: precedence flags > env > config file > defaults, and errors that name their source."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from wafproxy.settings import (
    DEFAULT_ACL,
    HostPort,
    Settings,
    SettingsError,
    UpstreamRoute,
    add_arguments,
    resolve,
)


def _parse(*argv: str, env: dict[str, str] | None = None) -> Settings:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return resolve(parser.parse_args(list(argv)), env or {})


def test_defaults() -> None:
    s = _parse()
    assert s.listen == HostPort("127.0.0.1", 8080)
    assert s.admin_listen == HostPort("127.0.0.1", 9090)
    assert s.acl == DEFAULT_ACL
    assert s.workers == 1 and s.preserve_host and s.fail_mode == "closed"


def test_flags_and_env_give_the_same_settings(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    by_flags = _parse(
        "--upstream", "https://127.0.0.1:9443", "--upstream", "url=http://127.0.0.1:9000,path=/api",
        "--listen", "0.0.0.0:8443", "--workers", "2", "--upstream-ca", str(ca),
        "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "127.0.0.2", "--rewrite-host",
        "--waf-log", "-", "--log-level", "DEBUG", "--fail-mode", "open",
    )
    by_env = _parse(env={
        "WAFPROXY_UPSTREAM": "https://127.0.0.1:9443 url=http://127.0.0.1:9000,path=/api",
        "WAFPROXY_LISTEN": "0.0.0.0:8443", "WAFPROXY_WORKERS": "2", "WAFPROXY_UPSTREAM_CA": str(ca),
        "WAFPROXY_TRUSTED_PROXY": "10.0.0.0/8, 127.0.0.2", "WAFPROXY_PRESERVE_HOST": "false",
        "WAFPROXY_WAF_LOG": "-", "WAFPROXY_LOG_LEVEL": "debug", "WAFPROXY_FAIL_MODE": "open",
    })
    assert by_flags == by_env
    assert by_flags.upstreams == (
        UpstreamRoute("https://127.0.0.1:9443"),
        UpstreamRoute("http://127.0.0.1:9000", path_prefix="/api"),
    )
    assert by_flags.trusted_proxies == ("10.0.0.0/8", "127.0.0.2/32")
    assert not by_flags.preserve_host and by_flags.workers == 2


def test_precedence_flag_over_env_over_config(tmp_path: Path) -> None:
    cfg = tmp_path / "wafproxy.yaml"
    cfg.write_text("listen: 127.0.0.1:7000\nworkers: 3\nlog-level: warning\ntrusted_proxies: [10.1.0.0/16]\n")
    s = _parse("--config", str(cfg), "--listen", "127.0.0.1:7001", env={"WAFPROXY_WORKERS": "4"})
    assert s.listen.port == 7001  # flag beats file
    assert s.workers == 4  # env beats file
    assert s.log_level == "warning"  # file beats default
    assert s.trusted_proxies == ("10.1.0.0/16",)
    via_env = _parse(env={"WAFPROXY_CONFIG": str(cfg)})
    assert via_env.workers == 3


@pytest.mark.parametrize(
    ("argv", "env", "source"),
    [
        (["--listen", "nope"], {}, "--listen"),
        ([], {"WAFPROXY_LISTEN": "127.0.0.1:99999"}, "WAFPROXY_LISTEN"),
        (["--workers", "0"], {}, "--workers"),
        ([], {"WAFPROXY_UPSTREAM": "ftp://x"}, "WAFPROXY_UPSTREAM"),
        (["--upstream", "http://user:secret@127.0.0.1:9000"], {}, "--upstream"),
        (["--trusted-proxy", "10.0.0.0/33"], {}, "--trusted-proxy"),
        (["--acl", "/nonexistent/acl.json"], {}, "--acl"),
        ([], {"WAFPROXY_UPSTREAM_INSECURE_SKIP_VERIFY": "maybe"}, "WAFPROXY_UPSTREAM_INSECURE_SKIP_VERIFY"),
        (["--log-level", "loud"], {}, "--log-level"),
        (["--listen", "127.0.0.1:9090"], {}, "--admin-listen"),
        (["--upstream", "http://a:1", "--upstream", "http://b:1"], {}, "--upstream"),
    ],
)
def test_bad_values_name_their_source(argv: list[str], env: dict[str, str], source: str) -> None:
    with pytest.raises(SettingsError) as err:
        _parse(*argv, env=env)
    assert err.value.source == source
    assert str(err.value).startswith(source)


def test_config_file_errors_name_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("listen: 127.0.0.1:1\nbogus: 1\n")
    with pytest.raises(SettingsError, match="bogus: unknown setting"):
        _parse("--config", str(cfg))
    cfg.write_text("workers: [1\n")
    with pytest.raises(SettingsError, match="not valid YAML"):
        _parse("--config", str(cfg))


def test_cross_field_rules(tmp_path: Path) -> None:
    pem = tmp_path / "x.pem"
    pem.write_text("x")
    with pytest.raises(SettingsError) as err:
        _parse("--client-ca", str(pem))
    assert err.value.source == "--client-ca"
    with pytest.raises(SettingsError) as err:
        _parse("--upstream-insecure-skip-verify", "--upstream-ca", str(pem))
    assert err.value.source == "--upstream-insecure-skip-verify"


def test_json_round_trip_for_workers(tmp_path: Path) -> None:
    pem = tmp_path / "x.pem"
    pem.write_text("x")
    s = _parse("--upstream", "url=http://127.0.0.1:1,host=Example.COM", "--tls-cert", str(pem),
               "--trusted-proxy", "::1")
    assert Settings.from_json(s.to_json()) == s
    assert s.upstreams[0].host == "example.com"
