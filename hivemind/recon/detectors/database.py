"""Database engine from parsed dependencies (the client the app ships), then ORM settings, schema
providers and connection URLs (which one it talks to). SQLite, H2 and MongoDB are recorded too:
they mean no RDS database, and the plan says so."""
from __future__ import annotations

import re

from ..draft import Findings, Rank
from ..manifests import lock_dependencies, repo_dependencies
from ..repo import RepoView
from .datastore_scan import scan

# Client libraries, by parsed dependency name (npm, PyPI, Go module, Maven group:artifact, gem, composer).
CLIENTS = {
    "postgres": {
        "pg", "pg-promise", "postgres", "@neondatabase/serverless", "@vercel/postgres", "slonik", "@prisma/adapter-pg",
        "@prisma/adapter-neon", "pg-native", "psycopg2", "psycopg2-binary", "psycopg", "psycopg-binary", "asyncpg",
        "pg8000", "github.com/lib/pq", "github.com/jackc/pgx", "github.com/jackc/pgx/v4", "github.com/jackc/pgx/v5",
        "gorm.io/driver/postgres", "github.com/go-pg/pg/v10", "org.postgresql:postgresql", "org.postgresql:r2dbc-postgresql",
        "ext-pdo_pgsql", "ext-pgsql",
    },
    "mysql": {
        "mysql", "mysql2", "mariadb", "@planetscale/database", "@prisma/adapter-planetscale", "pymysql", "mysqlclient",
        "aiomysql", "asyncmy", "mysql-connector-python", "mysql-connector", "github.com/go-sql-driver/mysql",
        "gorm.io/driver/mysql", "com.mysql:mysql-connector-j", "mysql:mysql-connector-java",
        "org.mariadb.jdbc:mariadb-java-client", "trilogy", "ext-pdo_mysql", "ext-mysqli",
    },
    "sqlite": {
        "sqlite3", "better-sqlite3", "@libsql/client", "sqlite", "aiosqlite", "github.com/mattn/go-sqlite3",
        "modernc.org/sqlite", "gorm.io/driver/sqlite", "github.com/glebarez/sqlite", "org.xerial:sqlite-jdbc",
        "ext-pdo_sqlite", "ext-sqlite3",
    },
    "h2": {"com.h2database:h2"},
    "mongodb": {
        "mongodb", "mongoose", "pymongo", "motor", "mongoengine", "beanie", "odmantic", "djongo",
        "go.mongodb.org/mongo-driver", "go.mongodb.org/mongo-driver/v2", "mongoid",
        "org.springframework.boot:spring-boot-starter-data-mongodb", "org.mongodb:mongodb-driver-sync",
        "mongodb/mongodb", "ext-mongodb",
    },
}
# Libraries that reach several engines (the engine is then named by a schema, a setting or a URL).
UNIVERSAL = {
    "@prisma/client": {"postgres", "mysql", "sqlite", "mongodb"},
    "prisma": {"postgres", "mysql", "sqlite", "mongodb"},
    "laravel/framework": {"postgres", "mysql", "sqlite", "redis"},  # PDO and phpredis, built into PHP
    "doctrine/dbal": {"postgres", "mysql", "sqlite"}, "doctrine/orm": {"postgres", "mysql", "sqlite"},
    "doctrine/doctrine-bundle": {"postgres", "mysql", "sqlite"}, "symfony/orm-pack": {"postgres", "mysql", "sqlite"},
    # Platforms built on Doctrine or a SQL database by design.
    "sylius/sylius": {"postgres", "mysql"}, "shopware/core": {"mysql"}, "drupal/core": {"postgres", "mysql", "sqlite"},
    "drupal/core-recommended": {"postgres", "mysql", "sqlite"}, "roots/wordpress": {"mysql"},
    "johnpbloch/wordpress": {"mysql"},
    "knex": set(), "sequelize": set(), "typeorm": set(),  # need a driver of their own: no engine implied
}
EMBEDDED = frozenset({"sqlite", "h2"})
NOT_RDS = EMBEDDED | {"mongodb"}

IMPORTS_DRIVER = "imports the database driver"
_URL = {
    "postgres": re.compile(r"postgres(?:ql)?(?:\+\w+)?://"),
    "mysql": re.compile(r"mysql(?:2)?(?:\+\w+)?://"),
    "mongodb": re.compile(r"mongodb(?:\+srv)?://"),
}
RULES = {
    "env": [
        (_URL["postgres"], "postgres", "PostgreSQL URL in the env sample"),
        (_URL["mysql"], "mysql", "MySQL URL in the env sample"),
        (_URL["mongodb"], "mongodb", "MongoDB URL in the env sample"),
        (re.compile(r"^\s*DB_CONNECTION\s*=\s*pgsql"), "postgres", "DB_CONNECTION=pgsql"),
        (re.compile(r"^\s*DB_CONNECTION\s*=\s*mysql"), "mysql", "DB_CONNECTION=mysql"),
        (re.compile(r"^\s*DB_CONNECTION\s*=\s*sqlite"), "sqlite", "DB_CONNECTION=sqlite"),
        (re.compile(r"^\s*\w*(?:DATABASE_URL|DB_URL)\s*=\s*['\"]?(?:file:|sqlite:)"), "sqlite", "SQLite URL in the env sample"),
        (re.compile(r"^\s*\w*ENGINE\s*=\s*django\.db\.backends\.postgresql"), "postgres", "Django engine in the env sample"),
        (re.compile(r"^\s*\w*ENGINE\s*=\s*django\.db\.backends\.mysql"), "mysql", "Django engine in the env sample"),
    ],
    "config": [
        (re.compile(r'provider\s*=\s*"postgres(?:ql)?"'), "postgres", "Prisma datasource provider"),
        (re.compile(r'provider\s*=\s*"mysql"'), "mysql", "Prisma datasource provider"),
        (re.compile(r'provider\s*=\s*"sqlite"'), "sqlite", "Prisma datasource provider"),
        (re.compile(r'provider\s*=\s*"mongodb"'), "mongodb", "Prisma datasource provider"),
        (re.compile(r"adapter:\s*['\"]?postgresql"), "postgres", "Rails database.yml adapter"),
        (re.compile(r"adapter:\s*['\"]?(?:mysql2|trilogy)"), "mysql", "Rails database.yml adapter"),
        (re.compile(r"adapter:\s*['\"]?sqlite3"), "sqlite", "Rails database.yml adapter"),
        (_URL["postgres"], "postgres", "PostgreSQL URL in config"),
        (_URL["mysql"], "mysql", "MySQL URL in config"),
        (re.compile(r"jdbc:h2:"), "h2", "H2 JDBC URL in config"),
        (re.compile(r"(?:url|DATABASE_URL)\S*\s*[:=]\s*['\"]?(?:sqlite:|file:)"), "sqlite", "SQLite URL in config"),
    ],
    "code": [
        (re.compile(r"django\.db\.backends\.postgresql"), "postgres", "Django DATABASES engine"),
        (re.compile(r"django\.db\.backends\.mysql"), "mysql", "Django DATABASES engine"),
        (re.compile(r"django\.db\.backends\.sqlite3"), "sqlite", "Django DATABASES engine"),
        (re.compile(r"dialect\s*:\s*['\"](?:postgres|postgresql)['\"]"), "postgres", "ORM dialect (Sequelize, Drizzle)"),
        (re.compile(r"dialect\s*:\s*['\"](?:mysql|mariadb)['\"]"), "mysql", "ORM dialect (Sequelize, Drizzle)"),
        (re.compile(r"dialect\s*:\s*['\"](?:sqlite|turso)['\"]"), "sqlite", "ORM dialect (Sequelize, Drizzle)"),
        # Drizzle's and Kysely's engine modules: importing one is using that engine.
        (re.compile(r"""['"]drizzle-orm/(?:node-postgres|postgres-js|vercel-postgres|neon-http|neon-serverless|pg-core|pglite)['"]"""),
         "postgres", "imports Drizzle's PostgreSQL module"),
        (re.compile(r"""['"]drizzle-orm/(?:mysql2|mysql-core|planetscale-serverless|tidb-serverless)['"]"""),
         "mysql", "imports Drizzle's MySQL module"),
        (re.compile(r"""['"]drizzle-orm/(?:better-sqlite3|libsql|bun-sqlite|sqlite-core|d1)['"]"""),
         "sqlite", "imports Drizzle's SQLite module"),
        # Importing a driver is using it, even when the manifest lists it only as indirect (Go) or not at all.
        (re.compile(r"""^\s*(?:_\s+)?"(?:github\.com/lib/pq|github\.com/jackc/pgx[\w/]*|gorm\.io/driver/postgres|"""
                    r'github\.com/jinzhu/gorm/dialects/postgres)"'), "postgres", IMPORTS_DRIVER),
        (re.compile(r"""^\s*(?:_\s+)?"(?:github\.com/go-sql-driver/mysql|gorm\.io/driver/mysql|"""
                    r'github\.com/jinzhu/gorm/dialects/mysql)"'), "mysql", IMPORTS_DRIVER),
        (re.compile(r"""^\s*(?:import|from)\s+(?:psycopg2|psycopg|asyncpg|pg8000)\b"""), "postgres", IMPORTS_DRIVER),
        (re.compile(r"""^\s*(?:import|from)\s+(?:pymysql|MySQLdb|aiomysql|mysql\.connector)\b"""), "mysql", IMPORTS_DRIVER),
        (re.compile(r"""(?:require\(\s*|from\s+)['"](?:pg|postgres|@neondatabase/serverless|@vercel/postgres)['"]"""),
         "postgres", IMPORTS_DRIVER),
        (re.compile(r"""(?:require\(\s*|from\s+)['"](?:mysql2?|mysql2/promise|@planetscale/database)['"]"""), "mysql",
         IMPORTS_DRIVER),
        (re.compile(r"\bnew\s+PostgresDialect\("), "postgres", "Kysely PostgresDialect"),
        (re.compile(r"\bnew\s+MysqlDialect\("), "mysql", "Kysely MysqlDialect"),
        (re.compile(r"\bnew\s+SqliteDialect\("), "sqlite", "Kysely SqliteDialect"),
        (_URL["postgres"], "postgres", "PostgreSQL URL in code"),
        (_URL["mysql"], "mysql", "MySQL URL in code"),
    ],
}
# Settings and URLs say which database the app talks to; a driver in a manifest only says it can.
RANKS = {"config": Rank.CONFIG, "code": Rank.CODE, "env": Rank.ENV_SAMPLE}
# A value that is only the default of an environment variable loses to what the deployment sets.
ENV_DEFAULT_RANK = Rank.COMPOSE + 5


def _base(name: str) -> str:
    """A Go module path without its major version suffix: github.com/jackc/pgx/v5 -> github.com/jackc/pgx."""
    return re.sub(r"/v\d+$", "", name)


def clients(repo: RepoView) -> set[str] | None:
    """Engines some shipped dependency can talk to; None when nothing declares dependencies."""
    deps = repo_dependencies(repo)
    if not deps:
        return None
    deps = deps + lock_dependencies(repo)
    from .redis import is_client as redis_client  # redis.py builds on this module

    engines: set[str] = set()
    for dep in deps:
        if dep.dev:
            continue
        engines |= UNIVERSAL.get(dep.name, set())
        engines |= {engine for engine, names in CLIENTS.items() if _base(dep.name) in names or dep.name in names}
        if redis_client(dep.name) or "redis" in dep.extras:  # celery[redis], dramatiq[redis]
            engines.add("redis")
    return engines


def detect(repo: RepoView, found: Findings) -> None:
    found.clients = clients(repo)
    seen: set[tuple[str, str]] = set()
    for dep in repo_dependencies(repo):
        engine = next((e for e, names in CLIENTS.items() if dep.name in names or _base(dep.name) in names), None)
        if engine is None or dep.dev or (engine, dep.path) in seen:
            continue
        seen.add((engine, dep.path))
        what = {"postgres": "PostgreSQL driver", "mysql": "MySQL driver", "sqlite": "SQLite driver",
                "h2": "H2 embedded database", "mongodb": "MongoDB client"}[engine]
        found.add_database(engine, dep.path, dep.line, f"{what} dependency {dep.name}" + (" (optional)" if dep.optional else ""),
                           Rank.MANIFEST, optional=dep.optional)
    for hit in scan(repo, RULES):
        if hit.reason == IMPORTS_DRIVER and found.clients is not None and not hit.optional:
            found.clients.add(hit.value)
        # An import says the app uses a client, not which database it is pointed at.
        rank = ENV_DEFAULT_RANK if hit.env_default else Rank.MANIFEST + 1 if hit.reason == IMPORTS_DRIVER else RANKS[hit.kind]
        reason = hit.reason + (" (default of an environment variable)" if hit.env_default else "")
        if hit.optional:
            reason += " (optional: only when configured so)"
        found.add_database(hit.value, hit.path, hit.line, reason, rank, optional=hit.optional)
