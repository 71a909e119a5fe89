"""The `coach` command: run the service, its parts, and store chores."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import ROOT, ConfigError, Settings

DEFAULT_MODEL = ROOT / "models" / "coach.tar.gz"


def _run(args: argparse.Namespace) -> int:
    from bot.store import migrate
    from bot.supervisor import Topology, run_all, scale_problem

    settings = Settings.from_env()
    topology = Topology(engines=args.engines, gateways=args.gateways)
    problem = scale_problem(settings, topology)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    model = Path(args.model)
    if not model.exists():
        print(f"no trained model at {model}; run `make model` first", file=sys.stderr)
        return 2
    migrate.upgrade(settings.database_url)
    return run_all(settings, model, topology)


def _gateway(_args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.gateway import init_app
    from bot.logs import configure

    configure("gateway")
    settings = Settings.from_env()
    web.run_app(
        init_app(settings),
        host=settings.host,
        port=settings.port,
        reuse_port=settings.reuse_port,
        print=None,
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from bot.config import database_url_from_env
    from bot.store import migrate

    migrate.upgrade(database_url_from_env())
    return 0


def _teachback_grade(_args: argparse.Namespace) -> int:
    from bot.teachback.cli import grade_stream

    return grade_stream(sys.stdin, sys.stdout)


def _safety_assess(_args: argparse.Namespace) -> int:
    from bot.safety.cli import assess_stream

    return assess_stream(sys.stdin, sys.stdout)


def _safety_warm(_args: argparse.Namespace) -> int:
    from bot.safety.semantic import warm_up

    warm_up()
    return 0


def _content_check(args: argparse.Namespace) -> int:
    from bot.content.check import main as check_content

    return check_content(args.paths)


def _content_lock(_args: argparse.Namespace) -> int:
    from bot.content.check import lock_main

    return lock_main()


def _user_create(args: argparse.Namespace) -> int:
    import getpass

    from bot.config import database_url_from_env
    from bot.store import migrate, staff
    from bot.store.db import unit_of_work

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    url = database_url_from_env()
    migrate.upgrade(url)
    try:
        with unit_of_work(url) as session:
            user = staff.create_staff(session, args.email, args.role, password)
            print(f"created {user.role} {user.email} (id {user.id})")
    except ValueError as exc:
        print(f"not created: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Sub-commands; later issues add theirs here."""
    parser = argparse.ArgumentParser(prog="coach", description="Co-create Coach")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="engine, action server and gateway together")
    run.add_argument("--model", default=str(DEFAULT_MODEL))
    run.set_defaults(func=_run, engines=1, gateways=1)
    up = sub.add_parser(
        "up", help="several engines and gateways on one machine (PostgreSQL and Redis)"
    )
    up.add_argument("--model", default=str(DEFAULT_MODEL))
    up.add_argument("--engines", type=int, default=2, choices=range(1, 9), metavar="N")
    up.add_argument("--gateways", type=int, default=2, choices=range(1, 9), metavar="M")
    up.set_defaults(func=_run)
    sub.add_parser("gateway", help="the gateway alone").set_defaults(func=_gateway)
    sub.add_parser("migrate", help="bring the database to the latest schema").set_defaults(
        func=_migrate
    )
    teachback = sub.add_parser("teachback", help="teach-back tools").add_subparsers(
        dest="teachback_command", required=True
    )
    teachback.add_parser(
        "grade", help="grade JSON lines of key points and answers from stdin"
    ).set_defaults(func=_teachback_grade)
    safety = sub.add_parser("safety", help="safety net tools").add_subparsers(
        dest="safety_command", required=True
    )
    safety.add_parser(
        "assess", help='assess JSON lines {"text", "lang"} from stdin, one decision a line'
    ).set_defaults(func=_safety_assess)
    safety.add_parser(
        "warm", help="embed the exemplar bank and fit the semantic layer into the cache"
    ).set_defaults(func=_safety_warm)
    content = sub.add_parser("content", help="content tools").add_subparsers(
        dest="content_command", required=True
    )
    check = content.add_parser("check", help="check the teach-back modules")
    check.add_argument("paths", nargs="*", help="module files (default: every module)")
    check.set_defaults(func=_content_check)
    content.add_parser(
        "lock", help="record the content versions and hashes after a version bump"
    ).set_defaults(func=_content_lock)
    user = sub.add_parser("user", help="portal staff users").add_subparsers(
        dest="user_command", required=True
    )
    create = user.add_parser("create", help="add an admin, clinician, tutor or lead")
    create.add_argument("--role", required=True, choices=("admin", "clinician", "tutor", "lead"))
    create.add_argument("--email", required=True)
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(func=_user_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `coach` script."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
