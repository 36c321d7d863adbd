"""Backups that restore exactly what was backed up.

An archive is a directory, or the same directory as one .tar file, holding:

- `database.dump` (PostgreSQL: pg_dump's custom format) or `database.sqlite3` (SQLite: a copy made
  by its online backup API), taken while the app runs;
- `files/<folder>/…`: the folders whose files are records (`durable_folders`): MEDIA_ROOT (evidence,
  issued reports, packs, minutes, uploads of imports still to run) and VAR_DIR/archive when there is
  one; never the cache, the broker or the static files, which are made again;
- `manifest.json`: the app's version, the migrations applied, each table's rows and checksum, and
  the size and SHA-256 of every other file in the archive.

A table's checksum is the SHA-256 of the MD5s of its rows' text, in primary key order (by the
MD5s for a table without one). PostgreSQL computes it in SQL, in the transaction whose snapshot
pg_dump dumps, so the manifest describes the dump exactly while the app keeps writing; SQLite's is
computed in Python from the copy. A row's text is each database's own, so checksums compare
between databases of one kind only, which is what a restore needs.

Restoring verifies the archive first, refuses a database or folder that holds anything unless told
to replace it, restores, and then computes the manifest again from what it restored: any table,
count or file that differs fails the restore.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.client import DatabaseClient
from django.db.utils import load_backend

from qms.uploads import file_sha256

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"


class BackupError(Exception):
    """An archive that cannot be made, trusted or restored; the message says why."""


def durable_folders() -> dict[str, Path]:
    """The folders whose files are records, by their name in an archive."""
    return {"media": Path(settings.MEDIA_ROOT), "archive": Path(settings.VAR_DIR) / "archive"}


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return file_sha256(stream)


def files_of(root: Path, prefix: str = "") -> dict[str, dict]:
    """Every regular file under `root`, by its path from there (after `prefix`), with size and SHA-256."""
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            if path.is_file() and not path.is_symlink():
                key = prefix + path.relative_to(root).as_posix()
                found[key] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    return dict(sorted(found.items()))


def _migrations(connection, tables: dict) -> dict[str, list[str]]:
    """The migrations applied to the database `connection` (psycopg's or sqlite3's) is open on."""
    applied: dict[str, list[str]] = {}
    if "django_migrations" not in tables:
        return applied
    for app, name in connection.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall():
        applied.setdefault(app, []).append(name)
    return applied


# Databases
# ------------------------------------------------------------------------------


class Database:
    """One database as its Django settings name it, with what a backup does to it."""

    vendor = ""
    dump_name = ""

    def __init__(self, settings_dict: dict):
        self.settings_dict = settings_dict
        self.name = str(settings_dict["NAME"])

    @staticmethod
    def of(settings_dict: dict) -> "Database":
        engines = {"django.db.backends.postgresql": PostgresDatabase, "django.db.backends.sqlite3": SqliteDatabase}
        return engines[settings_dict["ENGINE"]](settings_dict)

    @staticmethod
    def default() -> "Database":
        return Database.of(connections[DEFAULT_DB_ALIAS].settings_dict)

    def dump(self, target: Path) -> dict:
        """Write the whole database to `target`; return its contents (tables and migrations) as dumped."""
        raise NotImplementedError

    def load(self, dump: Path, *, replace: bool) -> None:
        """Make the database hold exactly the dump; `replace` first drops what it holds."""
        raise NotImplementedError

    def contents(self) -> dict:
        """Each table's rows and checksum, and the migrations applied, as the database holds them now."""
        raise NotImplementedError

    def tables(self) -> list[str]:
        raise NotImplementedError

    @classmethod
    def dump_problems(cls, dump: Path, manifest: dict) -> list[str]:
        """What is wrong with a dump whose file hashes are right (it may still not be readable)."""
        raise NotImplementedError


class PostgresDatabase(Database):
    vendor = "postgresql"
    dump_name = "database.dump"
    # A row's text depends on these: fixed, so a checksum is the same in any session.
    SESSION = (
        "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; "
        "SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'"
    )

    def connect(self):
        import psycopg

        params = load_backend(self.settings_dict["ENGINE"]).DatabaseWrapper(self.settings_dict).get_connection_params()
        try:
            return psycopg.connect(**params, autocommit=True)
        except psycopg.OperationalError as error:
            raise BackupError(f"Cannot connect to the database {self.name!r}: {error}".strip()) from error

    def environment(self) -> dict[str, str]:
        """libpq's variables for pg_dump, pg_restore and psql: the password never goes on a command line."""
        _, client_env = DatabaseClient.settings_to_cmd_args_env(self.settings_dict, [])
        named = {"PGDATABASE": "NAME", "PGUSER": "USER", "PGHOST": "HOST", "PGPORT": "PORT"}
        given = {variable: str(self.settings_dict[key]) for variable, key in named.items() if self.settings_dict[key]}
        return {**os.environ, **(client_env or {}), **given}

    def run(self, command: list[str], **kwargs) -> subprocess.Popen:
        try:
            return subprocess.Popen(command, env=self.environment(), **kwargs)  # noqa: S603  (no shell)
        except FileNotFoundError:
            raise BackupError(f"{command[0]} is not installed: install PostgreSQL's client tools.") from None

    def dump(self, target: Path) -> dict:
        """pg_dump of one snapshot, and the contents of that snapshot, read while pg_dump writes it."""
        with self.connect() as connection:
            connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
            dump = self.run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                contents = self._contents(connection)
            finally:
                _, errors = dump.communicate()
            connection.execute("COMMIT")
        if dump.returncode:
            raise BackupError(f"pg_dump failed: {errors.strip()}")
        return contents

    def load(self, dump: Path, *, replace: bool) -> None:
        """pg_restore's script run by psql in one transaction, after dropping the schema when replacing:
        a restore that fails leaves the database as it was."""
        drop = ["--command=DROP SCHEMA public CASCADE; CREATE SCHEMA public;"] if replace else []
        with tempfile.TemporaryFile() as script_errors:  # read once both have ended: a pipe could fill up
            script = self.run(
                ["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(dump)],
                stdout=subprocess.PIPE,
                stderr=script_errors,
            )
            psql = self.run(
                ["psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction", *drop, "--file=-"],
                stdin=script.stdout,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            script.stdout.close()  # psql owns the pipe now: pg_restore sees it close if psql stops
            _, psql_errors = psql.communicate()
            script.wait()
            script_errors.seek(0)
            errors = (script_errors.read() + psql_errors).decode(errors="replace").strip()
        if script.returncode or psql.returncode:
            raise BackupError(f"Restoring the database failed, nothing was restored: {errors}")

    def contents(self) -> dict:
        with self.connect() as connection:
            connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return self._contents(connection)

    def _contents(self, connection) -> dict:
        from psycopg import sql

        connection.execute(self.SESSION)
        keys = dict(
            connection.execute(
                """
                SELECT t.relname, array_agg(a.attname ORDER BY k.position)
                FROM pg_constraint c
                JOIN pg_class t ON t.oid = c.conrelid
                CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                WHERE c.contype = 'p' AND t.relnamespace = current_schema()::regnamespace
                GROUP BY t.relname
                """
            ).fetchall()
        )
        tables = {}
        for table in self._tables(connection):
            if keys.get(table):
                order = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(column)) for column in keys[table])
            else:
                order = sql.SQL("md5(t::text)")
            query = sql.SQL(
                "SELECT count(*), encode(sha256(convert_to("
                "coalesce(string_agg(md5(t::text), '' ORDER BY {order}), ''), 'UTF8')), 'hex') FROM {table} AS t"
            ).format(order=order, table=sql.Identifier(table))
            rows, checksum = connection.execute(query).fetchone()
            tables[table] = {"rows": rows, "checksum": checksum}
        return {"tables": tables, "migrations": _migrations(connection, tables)}

    @staticmethod
    def _tables(connection) -> list[str]:
        query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        return [name for (name,) in connection.execute(query)]

    def tables(self) -> list[str]:
        with self.connect() as connection:
            return self._tables(connection)

    @classmethod
    def dump_problems(cls, dump: Path, manifest: dict) -> list[str]:
        try:
            listing = subprocess.run(  # noqa: S603  (no shell)
                ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=False
            )
        except FileNotFoundError:
            return ["pg_restore is not installed, so the dump could not be read: install PostgreSQL's client tools."]
        if listing.returncode:
            return [f"{dump.name} is not a dump pg_restore can read: {listing.stderr.strip()}"]
        return []


class SqliteDatabase(Database):
    vendor = "sqlite"
    dump_name = "database.sqlite3"

    def connect(self, name: str | None = None) -> sqlite3.Connection:
        name = name or self.name
        # The test database lives in memory, named by a URI that other connections of the process share.
        return sqlite3.connect(name, uri=name.startswith("file:"))

    def dump(self, target: Path) -> dict:
        with closing(self.connect()) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, whatever the source's mode
        return self.contents_of(target)

    def load(self, dump: Path, *, replace: bool) -> None:
        # The backup API writes every page of the target: what it held before is gone either way.
        Path(self.name).parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(dump)) as source, closing(self.connect()) as target:
            source.backup(target)

    def contents(self) -> dict:
        return self.contents_of(self.name)

    def contents_of(self, name) -> dict:
        tables = {}
        with closing(self.connect(str(name))) as connection:
            for table in self._tables(connection):
                quoted = '"' + table.replace('"', '""') + '"'
                info = connection.execute(f"PRAGMA table_info({quoted})").fetchall()
                key = [column[1] for column in sorted(info, key=lambda column: column[5]) if column[5]]
                order = " ORDER BY " + ", ".join('"' + column + '"' for column in key) if key else ""
                digests = [
                    hashlib.md5(_row_text(row).encode(), usedforsecurity=False).hexdigest()
                    for row in connection.execute(f"SELECT * FROM {quoted}{order}")  # noqa: S608
                ]
                if not key:
                    digests.sort()
                checksum = hashlib.sha256("".join(digests).encode()).hexdigest()
                tables[table] = {"rows": len(digests), "checksum": checksum}
            migrations = _migrations(connection, tables)
        return {"tables": tables, "migrations": migrations}

    @staticmethod
    def _tables(connection) -> list[str]:
        query = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        return [name for (name,) in connection.execute(query)]

    def tables(self) -> list[str]:
        if not self.name.startswith("file:") and not Path(self.name).exists():
            return []
        with closing(self.connect()) as connection:
            return self._tables(connection)

    @classmethod
    def dump_problems(cls, dump: Path, manifest: dict) -> list[str]:
        try:
            found = SqliteDatabase({"NAME": str(dump)}).contents_of(f"{dump.resolve().as_uri()}?mode=ro")
        except sqlite3.DatabaseError as error:
            return [f"{dump.name} is not an SQLite database: {error}"]
        return differences(manifest, found)


def _row_text(row: tuple) -> str:
    return json.dumps([value.hex() if isinstance(value, bytes) else value for value in row], ensure_ascii=False)


# Archives
# ------------------------------------------------------------------------------


def differences(expected: dict, found: dict) -> list[str]:
    """What differs between two manifests: tables, migrations, and files when `found` lists them."""
    problems = []
    for table in sorted(expected["tables"].keys() | found["tables"].keys()):
        want, got = expected["tables"].get(table), found["tables"].get(table)
        if want is None:
            problems.append(f"table {table}: not in the backup")
        elif got is None:
            problems.append(f"table {table}: missing")
        elif want["rows"] != got["rows"]:
            problems.append(f"table {table}: {got['rows']} rows, the backup has {want['rows']}")
        elif want["checksum"] != got["checksum"]:
            problems.append(f"table {table}: its rows differ from the backup's (checksum)")
    if expected["migrations"] != found["migrations"]:
        problems.append("the migrations applied differ from the backup's")
    if "files" in found:
        problems += file_differences(expected["files"], found["files"])
    return problems


def file_differences(expected: dict, found: dict) -> list[str]:
    problems = []
    for name in sorted(expected.keys() | found.keys()):
        if name not in expected:
            problems.append(f"{name}: not in the manifest")
        elif name not in found:
            problems.append(f"{name}: missing")
        elif expected[name] != found[name]:
            problems.append(f"{name}: its content differs from the manifest's (SHA-256)")
    return problems


def _failed(what: str, problems: list[str]) -> BackupError:
    shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
    return BackupError(f"{what}:\n  " + "\n  ".join(shown))


def backup_create(path: Path, *, database: Database | None = None, folders: dict[str, Path] | None = None) -> dict:
    """Write an archive to `path` (a .tar file, or else a directory) and return its manifest.

    1. Dump the database into a working directory beside `path`, with its contents as dumped.
    2. Copy the durable folders: after the dump, so every file a dumped row names is there (files
       are written before their rows, and removing a record's file keeps it).
    3. Hash every file, write the manifest, and only then give the archive its name: a backup cut
       short never looks complete.
    """
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists: give each backup a name of its own.")
    database = database or Database.default()
    folders = durable_folders() if folders is None else folders
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    partial = work.with_name(f"{work.name}.tar")
    try:
        contents = database.dump(work / database.dump_name)
        present = [name for name, folder in folders.items() if folder.is_dir()]
        for name in present:
            shutil.copytree(folders[name], work / FILES / name)
        manifest = {
            "format": FORMAT,
            "app_version": version("qms"),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"vendor": database.vendor, "file": database.dump_name},
            "folders": present,
            **contents,
            "files": files_of(work),
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        if path.suffix == ".tar":
            partial.touch(mode=0o600)  # like the directory mkdtemp made: the owner's alone
            with tarfile.open(partial, "w") as tar:
                for child in sorted(work.iterdir()):
                    tar.add(child, arcname=child.name)
            partial.replace(path)
        else:
            work.rename(path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return manifest


@contextmanager
def _opened(path: Path) -> Iterator[Path]:
    """The archive as a directory: itself, or a .tar unpacked into a temporary one."""
    path = Path(path)
    if path.is_dir():
        yield path
    elif path.is_file() and tarfile.is_tarfile(path):
        with tempfile.TemporaryDirectory(prefix="qms-restore-") as unpacked, tarfile.open(path) as tar:
            tar.extractall(unpacked, filter="data")
            yield Path(unpacked)
    else:
        raise BackupError(f"{path} is not a backup: neither a directory nor a .tar file.")


def _verified(root: Path) -> dict:
    """The manifest of an unpacked archive whose every file is the one it lists."""
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"The backup has no readable {MANIFEST}: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"The backup's format is {manifest.get('format')!r}; this version reads {FORMAT}.")
    present = files_of(root)
    del present[MANIFEST]
    problems = file_differences(manifest["files"], present)
    if not problems:
        vendor = {"postgresql": PostgresDatabase, "sqlite": SqliteDatabase}[manifest["database"]["vendor"]]
        problems = vendor.dump_problems(root / manifest["database"]["file"], manifest)
    if problems:
        raise _failed("The backup is damaged", problems)
    return manifest


def backup_verify(path: Path) -> dict:
    """Check an archive without restoring it; return its manifest, or raise BackupError saying what is wrong."""
    with _opened(path) as root:
        return _verified(root)


def backup_restore(
    path: Path, *, database: Database | None = None, folders: dict[str, Path] | None = None, force: bool = False
) -> dict:
    """Restore an archive into `database` and `folders` (by default the app's), then prove it.

    1. Verify the archive (every file's SHA-256, the dump readable).
    2. Refuse a database with tables or a folder with files, unless `force`: then replace them.
    3. Restore the database and the folders.
    4. Compute the manifest of what was restored and fail unless every table, count and file matches.
    """
    database = database or Database.default()
    folders = durable_folders() if folders is None else folders
    with _opened(path) as root:
        manifest = _verified(root)
        if manifest["database"]["vendor"] != database.vendor:
            raise BackupError(f"The backup is of a {manifest['database']['vendor']} database, not {database.vendor}.")
        unknown = set(manifest["folders"]) - folders.keys()
        if unknown:
            raise BackupError(f"The backup has folders this version does not know: {', '.join(sorted(unknown))}.")
        if not force:
            tables = database.tables()
            occupied = [f"the database {database.name} has {len(tables)} tables"] if tables else []
            occupied += [
                f"{folders[name]} holds files"
                for name in manifest["folders"]
                if folders[name].is_dir() and any(folders[name].iterdir())
            ]
            if occupied:
                raise BackupError(
                    f"Not restoring over data: {'; '.join(occupied)}. Restore into an empty database and folders, "
                    "or pass --force to replace them."
                )
        database.load(root / manifest["database"]["file"], replace=force)
        for name in manifest["folders"]:
            _replace_folder(root / FILES / name, folders[name])
    restored = {name: entry for name, entry in manifest["files"].items() if name.startswith(f"{FILES}/")}
    found = database.contents()
    found["files"] = {}
    for name in manifest["folders"]:
        found["files"].update(files_of(folders[name], prefix=f"{FILES}/{name}/"))
    problems = differences({**manifest, "files": restored}, found)
    if problems:
        raise _failed("The restore does not match the backup", problems)
    return manifest


def _replace_folder(source: Path, target: Path) -> None:
    """Make `target` hold exactly what `source` holds, emptying it in place (it may be a mount point)."""
    target.mkdir(parents=True, exist_ok=True)
    for child in target.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
