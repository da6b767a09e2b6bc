"""Command line: doctor, seed-demo, create-admin."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.models.org import MediationCommittee, Mediator, OrgUnit
from portal.models.user import AuditLog, User


def test_doctor_healthy(runner, app):
    key = Path(app.instance_path, "secret_key")
    key.write_text("k" * 64)
    os.chmod(key, 0o600)
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert "全部检查通过 / All checks passed" in result.output
    assert "[!!]" not in result.output
    assert "Noto Sans CJK SC" in result.output and "libharfbuzz-subset0" in result.output


@pytest.fixture
def empty_app(tmp_path, monkeypatch):
    """An app on a database that has never been migrated."""
    instance = tmp_path / "inst"
    instance.mkdir()
    monkeypatch.setenv("PORTAL_INSTANCE", str(instance))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.sqlite3'}"})
    return app


def test_doctor_unmigrated_database(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "[!!] 数据库文件不存在" in result.output and "flask --app wsgi db upgrade" in result.output
    assert not Path(empty_app.instance_path, "portal.sqlite3").exists()  # the doctor created nothing


def test_doctor_database_behind_head(empty_app):
    with empty_app.app_context():
        from flask_migrate import upgrade
        upgrade(revision="0001")
        db.engine.dispose()
    result = empty_app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "数据库未迁移到最新版本" in result.output and "not at the migration head" in result.output


def test_doctor_instance_not_writable(tmp_path, monkeypatch, template_db):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")  # the instance path is a file: not a writable folder (works as root too)
    monkeypatch.setenv("PORTAL_INSTANCE", str(blocker))
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{template_db}"})
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "实例目录不存在或不可写" in result.output and "Instance folder missing or not writable" in result.output


def test_doctor_secret_key_with_loose_permissions(runner, app):
    key = Path(app.instance_path, "secret_key")
    key.write_text("k" * 64)
    os.chmod(key, 0o644)
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1 and "应为 600" in result.output


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (OrgUnit, MediationCommittee, Mediator, User))


def test_seed_demo_is_idempotent(runner):
    before = _counts()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    after_first = _counts()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts() == after_first
    assert after_first[:4] == before[:4]  # the template already holds the demo town and accounts
    villages = db.session.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.level == "VILLAGE"))
    assert villages == 14


def test_seed_demo_on_empty_database(empty_app):
    from flask_migrate import upgrade
    with empty_app.app_context():
        upgrade()
        runner = empty_app.test_cli_runner()
        assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
        first = _counts()
        result = runner.invoke(args=["seed-demo", "--if-empty"])
        assert "跳过" in result.output
        assert runner.invoke(args=["seed-demo"]).exit_code == 0
        assert _counts() == first
        grids = db.session.scalars(select(OrgUnit).where(OrgUnit.level == "GRID")).all()
        per_village = {}
        for grid in grids:
            per_village[grid.parent_id] = per_village.get(grid.parent_id, 0) + 1
        assert len(per_village) == 14 and set(per_village.values()) <= {2, 3, 4}
        assert db.session.scalar(select(User).where(User.username == "wangge14")) is not None
        db.engine.dispose()


def test_create_admin_from_arguments(runner, client):
    result = runner.invoke(args=["create-admin", "--username", "realadmin", "--name", "王管理",
                                 "--password", "Real-Admin-2026"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.username == "realadmin"))
    assert admin.role == "ADMIN" and admin.must_change_password and not admin.is_demo
    assert admin.org_unit.parent_id is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.entity_id == admin.id)).action == "USER_CREATED"
    response = client.post("/auth/login", data={"username": "realadmin", "password": "Real-Admin-2026"})
    assert response.headers["Location"] == "/auth/password"


@pytest.mark.parametrize("args, message", [
    (["--username", "admin", "--name", "x", "--password", "Real-Admin-2026"], "user name exists"),
    (["--username", "new", "--name", "x", "--password", "weak"], ""),
])
def test_create_admin_refuses(runner, args, message):
    result = runner.invoke(args=["create-admin", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(User).where(User.username == "new")) is None


def test_create_admin_on_empty_database_creates_county_and_town(empty_app):
    from flask_migrate import upgrade
    with empty_app.app_context():
        upgrade()
        runner = empty_app.test_cli_runner()
        result = runner.invoke(args=["create-admin", "--username", "first", "--name", "首位管理员",
                                     "--password", "Strong-Admin-2026", "--county", "清河县", "--town", "白沙镇"])
        assert result.exit_code == 0, result.output
        units = db.session.scalars(select(OrgUnit).order_by(OrgUnit.id)).all()
        assert [(u.level, u.name) for u in units] == [("COUNTY", "清河县"), ("TOWN", "白沙镇")]
        assert units[1].parent_id == units[0].id
        admin = db.session.scalar(select(User).where(User.username == "first"))
        assert admin.org_unit_id == units[0].id
        db.engine.dispose()


def test_create_admin_on_empty_database_prompts_for_names(empty_app):
    from flask_migrate import upgrade
    with empty_app.app_context():
        upgrade()
        result = empty_app.test_cli_runner().invoke(
            args=["create-admin", "--username", "first", "--name", "首位管理员", "--password", "Strong-Admin-2026"],
            input="清河县\n白沙镇\n")
        assert result.exit_code == 0, result.output
        assert db.session.scalar(select(OrgUnit).where(OrgUnit.level == "TOWN")).name == "白沙镇"
        db.engine.dispose()
