"""Command-line tools: ``flask --app wsgi doctor | seed-demo | create-admin``."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from portal.extensions import db

#: A check result: (ok, Chinese text, English text).
Check = tuple[bool, str, str]


def _database_checks() -> list[Check]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        # Connecting would create an empty file: report instead of touching anything.
        return [(False, f"数据库文件不存在：{url.database}：请运行 flask --app wsgi db upgrade",
                 f"Database file missing: {url.database}: run flask --app wsgi db upgrade")]
    try:
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as error:  # any driver error: report it, do not crash the doctor
        return [(False, f"无法连接数据库：{error}", f"Cannot connect to the database: {error}")]
    config = current_app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    if current == heads:
        return [(True, "数据库已迁移到最新版本", "Database is at the migration head")]
    return [(False, f"数据库未迁移到最新版本（当前 {sorted(current) or '空'}，应为 {sorted(heads)}）：请运行 flask --app wsgi db upgrade",
             f"Database is not at the migration head (at {sorted(current) or 'none'}, head {sorted(heads)}): run flask --app wsgi db upgrade")]


def _instance_checks() -> list[Check]:
    checks: list[Check] = []
    instance = Path(current_app.instance_path)
    writable = instance.is_dir() and os.access(instance, os.W_OK)
    checks.append((writable, f"实例目录可写：{instance}" if writable else f"实例目录不存在或不可写：{instance}",
                   f"Instance folder writable: {instance}" if writable else f"Instance folder missing or not writable: {instance}"))
    key_file = instance / "secret_key"
    if os.environ.get("SECRET_KEY"):
        checks.append((True, "SECRET_KEY 由环境变量提供", "SECRET_KEY comes from the environment"))
    elif key_file.exists():
        mode = key_file.stat().st_mode & 0o777
        ok = mode & 0o077 == 0
        checks.append((ok, f"密钥已保存：{key_file}（权限 {mode:o}）" + ("" if ok else "，应为 600"),
                       f"Secret key persisted: {key_file} (mode {mode:o})" + ("" if ok else ", should be 600")))
    else:
        checks.append((False, f"密钥文件不存在：{key_file}（首次启动时生成）",
                       f"Secret key file missing: {key_file} (created at first start)"))
    return checks


def run_checks() -> list[Check]:
    """Run every deployment check; returns ``[(ok, zh, en)]``."""
    from portal.pdf import system_font_checks

    checks: list[Check] = []
    python_ok = sys.version_info >= (3, 11)
    checks.append((python_ok, f"Python {sys.version.split()[0]}" + ("" if python_ok else "（需要 3.11 或更高）"),
                   f"Python {sys.version.split()[0]}" + ("" if python_ok else " (3.11 or newer needed)")))
    checks.extend(system_font_checks())
    checks.extend(_instance_checks())
    checks.extend(_database_checks())
    return checks


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""

    @app.cli.command("doctor")
    def doctor() -> None:
        """Check everything a deployment needs; exit 1 when something is missing."""
        checks = run_checks()
        for ok, zh, en in checks:
            click.echo(f"[{'OK' if ok else '!!'}] {zh} / {en}")
        failed = sum(1 for ok, _, _ in checks if not ok)
        if failed:
            click.echo(f"{failed} 项检查未通过 / {failed} check(s) failed")
            sys.exit(1)
        click.echo("全部检查通过 / All checks passed")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only seed when the database has no users yet.")
    def seed_demo_command(if_empty: bool) -> None:
        """Build the demo town (白沙镇) with demo accounts; safe to run twice."""
        from portal.models.user import User
        from portal.seed import seed_demo

        if if_empty and db.session.scalar(select(func.count(User.id))):
            click.echo("数据库已有用户，跳过演示数据 / Database has users; demo data skipped")
            return
        seed_demo()
        db.session.commit()
        click.echo("演示数据已就绪（密码 portal-demo-2026）/ Demo data ready (password portal-demo-2026)")

    @app.cli.command("rebuild-statistics")
    def rebuild_statistics_command() -> None:
        """Recompute the monthly summary behind the dashboard and table 2 from the disputes (after
        disputes were changed with SQL outside the portal)."""
        from portal.reports import summary

        summary.rebuild(db.session)
        db.session.commit()
        click.echo("统计汇总已重建 / Statistics summary rebuilt")

    @app.cli.command("create-admin")
    @click.option("--username", prompt=True)
    @click.option("--name", "display_name", prompt=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--org-unit-id", type=int, default=None, help="Scope root (defaults to the top of the tree).")
    @click.option("--county", default=None, help="Name of the county to create when the tree is empty.")
    @click.option("--town", default=None, help="Name of the town to create when the tree is empty.")
    def create_admin(username: str, display_name: str, password: str, org_unit_id: int | None,
                     county: str | None, town: str | None) -> None:
        """Create a real system administrator (must change the password at first login).

        On an empty database the county and the town are created first (``--county``/``--town``,
        asked for when missing); the admin then builds villages and grids in the admin pages.
        """
        from portal.audit import audit
        from portal.auth.services import PasswordPolicyError, set_password
        from portal.models.org import COUNTY, TOWN, OrgUnit
        from portal.models.user import ADMIN, User

        if db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower())):
            raise click.ClickException(f"用户名已存在 / user name exists: {username}")
        user = User(username=username.strip(), display_name=display_name.strip(), role=ADMIN, password_hash="")
        try:
            set_password(user, password, must_change=True)
        except PasswordPolicyError as error:
            raise click.ClickException(str(error))
        root = db.session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id))
        if root is None:
            county = (county or "").strip() or click.prompt("县（区）名称 / county name").strip()
            town = (town or "").strip() or click.prompt("乡镇名称 / town name").strip()
            if not county or not town or len(county) > 60 or len(town) > 60:
                raise click.ClickException("县、镇名称须为 1–60 个字符 / names must have 1-60 characters")
            root = OrgUnit(level=COUNTY, name=county, sort=0)
            db.session.add_all([root, OrgUnit(level=TOWN, name=town, parent=root, sort=0)])
            db.session.flush()
            audit("ORG_CREATED", entity="org_unit", entity_id=root.id, detail={"county": county, "town": town,
                  "via": "cli"}, username="cli")
            click.echo(f"已建立 {county} / {town} / created {county} / {town}")
        elif county or town:
            click.echo("组织机构已存在，忽略 --county/--town / the tree exists; --county/--town ignored")
        unit = db.session.get(OrgUnit, org_unit_id) if org_unit_id else root
        if unit is None:
            raise click.ClickException(f"没有该组织机构 / no organisation unit {org_unit_id}")
        user.org_unit = unit
        db.session.add(user)
        db.session.flush()
        audit("USER_CREATED", entity="user", entity_id=user.id, detail={"role": ADMIN, "via": "cli"}, user=None,
              username="cli")
        db.session.commit()
        click.echo(f"已创建管理员 {username}，首次登录须修改密码 / administrator {username} created "
                   "(must change the password at first login)")
