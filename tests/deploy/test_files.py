"""What can be verified of deploy/ without pulling images or a systemd host: the files parse,
name what they must, and agree with each other and with deploy/check.sh."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from hub.host.metrics import Metrics
from hub.settings import Settings, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return parser


def exec_start(name: str) -> list[str]:
    return shlex.split(unit(name)["Service"]["ExecStart"])


def test_the_compose_file_parses_and_runs_two_nodes_with_their_dependencies() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "node-a", "node-b", "nginx"}
    for name in ("node-a", "node-b", "migrate"):
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    for name in ("node-a", "node-b"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["environment"]["OKNO_REDIS_URL"] == "redis://redis:6379/0"
    # The image's migration is okno-migrate.service's command line.
    assert services["migrate"]["command"] == exec_start("okno-migrate.service")
    # nginx is the one trusted proxy, at its fixed address.
    nginx_address = services["nginx"]["networks"]["okno"]["ipv4_address"]
    assert services["node-a"]["environment"]["OKNO_TRUSTED_PROXY"] == nginx_address
    assert "./nginx/okno.conf:/okno/okno.conf:ro" in services["nginx"]["volumes"]


def test_the_image_is_debian_non_root_and_installs_with_the_checks_own_steps() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert stages and all(image == "debian:bookworm-slim" for image in stages)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users == ["okno"]
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd and json.loads(cmd.group(1)) == exec_start("okno.service")

    step = re.compile(r"install-okno\.sh\"?\s+(wheel|install)\b")
    image_steps = step.findall(dockerfile)
    check_steps = step.findall((DEPLOY / "check.sh").read_text(encoding="utf-8"))
    assert image_steps == ["wheel", "install"]
    assert check_steps == image_steps


def test_the_units_run_as_their_own_user_hardened_and_migrate_first() -> None:
    for name in ("okno.service", "okno-migrate.service"):
        service = unit(name)["Service"]
        assert service["User"] == "okno"
        assert service["EnvironmentFile"] == "/etc/okno/okno.env"
        assert service["NoNewPrivileges"] == "yes"
        assert service["ProtectSystem"] == "strict"
        assert service["ReadWritePaths"] == "/var/lib/okno"
        assert service["PrivateTmp"] == "yes"
    run = unit("okno.service")
    assert run["Service"]["Restart"] == "on-failure"
    assert run["Service"]["RestartPreventExitStatus"] == "2"  # unmigrated: restarting won't help
    assert "okno-migrate.service" in run["Unit"]["Requires"].split()
    assert "okno-migrate.service" in run["Unit"]["After"].split()
    assert exec_start("okno.service")[1:] == ["run", "--config", "/etc/okno/okno.toml"]
    assert unit("okno-migrate.service")["Service"]["Type"] == "oneshot"
    assert exec_start("okno-migrate.service")[1:] == ["migrate", "--config", "/etc/okno/okno.toml"]


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for name in ("okno.service", "okno-migrate.service"):
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        # The binary does not exist here; everything else is verified as written.
        (tmp_path / name).write_text(text.replace("/opt/okno/venv/bin/okno", "/bin/true"))
    done = subprocess.run(
        [analyze, "verify", "--man=no", "okno-migrate.service", "okno.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_example_settings_name_every_setting_and_load() -> None:
    path = DEPLOY / "okno.toml.example"
    text = path.read_text(encoding="utf-8")
    active = set(tomllib.loads(text)["okno"])
    commented = set(re.findall(r"^# (\w+) = ", text, re.MULTILINE))
    # The secrets are named but left to okno.env, so no example value can become a real one.
    assert commented == {"secret_key", "metrics_token"}
    assert active | commented == set(Settings.model_fields)
    settings = load_settings(path, environ={})
    assert settings.cookie_secure is True
    assert settings.trusted_proxy and settings.redis_url and settings.base_url
    env_keys = re.findall(r"^(OKNO_\w+)=", (DEPLOY / "okno.env.example").read_text("utf-8"), re.M)
    assert {key.removeprefix("OKNO_").lower() for key in env_keys} <= set(Settings.model_fields)
    assert {"OKNO_SECRET_KEY", "OKNO_METRICS_TOKEN", "OKNO_DATABASE_URL"} <= set(env_keys)


def test_the_nginx_site_balances_two_nodes_and_passes_sockets() -> None:
    conf = (DEPLOY / "nginx" / "okno.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream okno \{(.*?)\}", conf, re.DOTALL)
    assert upstream
    servers = re.findall(
        r"^\s*server (\S+) max_fails=\d+ fail_timeout=\d+s;", upstream.group(1), re.M
    )
    assert servers == ["10.0.0.11:8080", "10.0.0.12:8080"]
    assert "return 301 https://$host$request_uri;" in conf
    assert re.search(r"listen 443 ssl", conf)
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in conf
    size = re.search(r"client_max_body_size (\d+)m;", conf)
    assert size and int(size.group(1)) * 1024 * 1024 > Settings().max_upload_bytes
    socket_locations = re.findall(r"location (= /ws|~ \S+) \{([^}]*)\}", conf)
    assert [where for where, _ in socket_locations] == ["= /ws", r"~ ^/widget/[^/]+/ws$"]
    for _, body in socket_locations:
        assert "proxy_read_timeout 1h;" in body
    widget = re.compile(r"^/widget/[^/]+/ws$")
    assert widget.match("/widget/site/ws") and not widget.match("/widget/site/ws/x")


def test_the_grafana_dashboard_charts_every_metric_and_only_real_ones() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "okno.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    charted = {
        re.sub(r"_(total|bucket|sum|count)$", "", name)
        for expr in exprs
        for name in re.findall(r"\bokno_[a-z_]+", expr)
    }
    exported = {family.name for family in Metrics().registry.collect()}
    assert charted == exported  # a new metric without a panel, or a panel of a gone one, fails
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
