"""Database engine from drivers, ORMs, framework settings and connection URLs."""
from __future__ import annotations

import re

from ..draft import Findings, Rank
from ..repo import RepoView
from .datastore_scan import scan


def dependency_pattern(*names: str) -> re.Pattern[str]:
    """A dependency name in a manifest: quoted (JSON, TOML, Gemfile), at a line start (requirements),
    in a Maven tag or a Gradle coordinate."""
    alternatives = "|".join(re.escape(n) for n in names)
    # Delimiters cover requirements, JSON/TOML strings, go.mod paths, Maven tags and Gradle coordinates.
    return re.compile(r"""(?i)(?:^|["'\s/>:])(?:""" + alternatives + r""")(?:["'\s=<>~!;\[/:@]|$)""")


_URL = {
    "postgres": re.compile(r"postgres(?:ql)?(?:\+\w+)?://"),
    "mysql": re.compile(r"mysql(?:2)?(?:\+\w+)?://"),
}
RULES = {
    "manifest": [
        (dependency_pattern("pg", "pg-promise", "postgres", "psycopg2", "psycopg2-binary", "psycopg", "asyncpg", "pg8000",
              "github.com/lib/pq", "github.com/jackc/pgx", "github.com/jackc/pgx/v5", "gorm.io/driver/postgres",
              "org.postgresql", "ext-pdo_pgsql", "@prisma/adapter-pg"), "postgres", "PostgreSQL driver dependency"),
        (dependency_pattern("mysql", "mysql2", "pymysql", "PyMySQL", "mysqlclient", "aiomysql", "mysql-connector-python",
              "github.com/go-sql-driver/mysql", "gorm.io/driver/mysql", "mysql-connector-j", "mysql-connector-java",
              "com.mysql", "trilogy", "ext-pdo_mysql"), "mysql", "MySQL driver dependency"),
    ],
    "env": [
        (_URL["postgres"], "postgres", "PostgreSQL URL in the env sample"),
        (_URL["mysql"], "mysql", "MySQL URL in the env sample"),
        (re.compile(r"^\s*DB_CONNECTION\s*=\s*pgsql"), "postgres", "DB_CONNECTION=pgsql"),
        (re.compile(r"^\s*DB_CONNECTION\s*=\s*mysql"), "mysql", "DB_CONNECTION=mysql"),
    ],
    "config": [
        (re.compile(r'provider\s*=\s*"postgres(?:ql)?"'), "postgres", "Prisma datasource provider"),
        (re.compile(r'provider\s*=\s*"mysql"'), "mysql", "Prisma datasource provider"),
        (re.compile(r"adapter:\s*postgresql"), "postgres", "Rails database.yml adapter"),
        (re.compile(r"adapter:\s*(?:mysql2|trilogy)"), "mysql", "Rails database.yml adapter"),
        (_URL["postgres"], "postgres", "PostgreSQL URL in config"),
        (_URL["mysql"], "mysql", "MySQL URL in config"),
    ],
    "code": [
        (re.compile(r"django\.db\.backends\.postgresql"), "postgres", "Django DATABASES engine"),
        (re.compile(r"django\.db\.backends\.mysql"), "mysql", "Django DATABASES engine"),
        (re.compile(r"dialect\s*:\s*['\"]postgres"), "postgres", "Sequelize dialect"),
        (re.compile(r"dialect\s*:\s*['\"](?:mysql|mariadb)"), "mysql", "Sequelize dialect"),
        (_URL["postgres"], "postgres", "PostgreSQL URL in code"),
        (_URL["mysql"], "mysql", "MySQL URL in code"),
    ],
}
# Settings and URLs say which database the app talks to; a driver in a manifest only says it can.
RANKS = {"config": Rank.CONFIG, "code": Rank.CODE, "env": Rank.ENV_SAMPLE, "manifest": Rank.MANIFEST}


def detect(repo: RepoView, found: Findings) -> None:
    for kind, engine, path, line, reason in scan(repo, RULES):
        found.add_database(engine, path, line, reason, RANKS[kind])
