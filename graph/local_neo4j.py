"""The local Neo4j server: a Maven-built launcher around Neo4j Community.

Used on machines without Docker (developers, CI). `start` builds the launcher on
first use, starts it in the background with a pid file and a log, and waits until
Bolt answers. Starting twice is harmless; `stop` sends SIGTERM and waits for the
clean shutdown the launcher performs in its shutdown hook.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from graph.errors import LocalNeo4jError

LAUNCHER_DIR = Path(__file__).parent / "launcher"
MAIN_CLASS = "org.satupintu.neo4j.Launcher"
JVM_OPENS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
)


@dataclass(frozen=True)
class LocalNeo4j:
    """Where the local server keeps its things and how it listens."""

    home: Path  # data folder ($HUB_HOME/neo4j)
    logs: Path  # $HUB_HOME/logs
    port: int
    user: str
    password: str
    heap: str = "4g"
    pagecache_mb: int = 1024

    @property
    def pid_file(self) -> Path:
        return self.logs / "neo4j.pid"

    @property
    def log_file(self) -> Path:
        return self.logs / "neo4j.log"

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class LocalNeo4jStatus:
    running: bool
    pid: int | None
    uri: str
    answering: bool


def launcher_built(launcher_dir: Path = LAUNCHER_DIR) -> bool:
    target = launcher_dir / "target"
    classes = target / "classes" / "org" / "satupintu" / "neo4j" / "Launcher.class"
    return classes.exists() and (target / "lib").is_dir()


def build_launcher(launcher_dir: Path = LAUNCHER_DIR, log: Path | None = None) -> None:
    """`mvn package` the launcher; its runtime classpath lands in target/lib."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalNeo4jError(
            "Maven (mvn) is not on PATH: install Maven 3.8+ or set NEO4J_URI to an external Neo4j."
        )
    _require_java()
    result = subprocess.run(
        [mvn, "-q", "-B", "package", "-DskipTests"],
        cwd=launcher_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        where = f"; see {log}" if log else ""
        first = next(
            (line for line in (result.stdout + result.stderr).splitlines() if "ERROR" in line),
            "unknown error",
        )
        raise LocalNeo4jError(f"building the Neo4j launcher failed: {first.strip()}{where}")


def status(server: LocalNeo4j) -> LocalNeo4jStatus:
    pid = _read_pid(server.pid_file)
    alive = pid is not None and _alive(pid)
    return LocalNeo4jStatus(
        running=alive,
        pid=pid if alive else None,
        uri=server.uri,
        answering=alive and _bolt_answers(server),
    )


def start(server: LocalNeo4j, timeout: float = 180.0) -> LocalNeo4jStatus:
    current = status(server)
    if current.running:
        if not current.answering:
            wait_until_answering(server, timeout)
        return status(server)
    if _port_taken(server.port):
        raise LocalNeo4jError(
            f"port {server.port} on 127.0.0.1 is taken by another program: "
            "stop it or set HUB_NEO4J_PORT to a free port."
        )
    java = _require_java()
    if not launcher_built():
        build_launcher(log=server.logs / "neo4j-build.log")
    server.home.mkdir(parents=True, exist_ok=True)
    server.logs.mkdir(parents=True, exist_ok=True)
    secret = server.logs / ".neo4j-initial-password"
    secret.write_text(server.password)
    secret.chmod(0o600)
    target = LAUNCHER_DIR / "target"
    cmd = [
        java,
        f"-Xms{server.heap}",
        f"-Xmx{server.heap}",
        # ZGC: concurrent, sub-millisecond pauses. G1's young pauses (~30 ms every
        # few seconds at 600 household-360 requests/s) were the API's p99; ZGC
        # wants heap headroom for bulk loads, hence the 4g default.
        "-XX:+UseZGC",
        *JVM_OPENS,
        "-cp",
        f"{target / 'classes'}{os.pathsep}{target / 'lib'}/*",
        MAIN_CLASS,
        str(server.home.resolve()),
        str(server.port),
        str(secret.resolve()),
        str(server.pagecache_mb),
    ]
    offset = server.log_file.stat().st_size if server.log_file.exists() else 0
    with server.log_file.open("ab") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server.pid_file.write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.pid_file.unlink(missing_ok=True)
            raise LocalNeo4jError(
                f"Neo4j exited during start-up (code {proc.returncode}): {_last_error(server)}; "
                f"full log in {server.log_file}"
            )
        # Bolt listens before the launcher has set the password: wait for READY.
        if _launcher_ready(server, offset) and _bolt_answers(server):
            secret.unlink(missing_ok=True)
            return status(server)
        time.sleep(0.5)
    stop(server)
    raise LocalNeo4jError(
        f"Neo4j did not answer on {server.uri} within {timeout:.0f} s; see {server.log_file}"
    )


def wait_until_answering(server: LocalNeo4j, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _bolt_answers(server):
            return
        time.sleep(0.5)
    raise LocalNeo4jError(
        f"Neo4j is running but {server.uri} does not answer; see {server.log_file}"
    )


def stop(server: LocalNeo4j, timeout: float = 60.0) -> bool:
    """Stop the server; returns False when it was not running."""
    pid = _read_pid(server.pid_file)
    if pid is None or not _alive(pid):
        server.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    server.pid_file.unlink(missing_ok=True)
    return True


def _require_java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise LocalNeo4jError(
            "Java 17 or 21 is not installed (no `java` on PATH or in JAVA_HOME): "
            "install a JDK or set NEO4J_URI to an external Neo4j."
        )
    return java


def _bolt_answers(server: LocalNeo4j) -> bool:
    try:
        with GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
            driver.verify_connectivity()
        return True
    except AuthError as exc:
        raise LocalNeo4jError(
            f"Neo4j at {server.uri} refused the password from settings ({exc.message}); "
            "set NEO4J_PASSWORD to the one it was started with."
        ) from exc
    except (ServiceUnavailable, OSError):
        return False


def _launcher_ready(server: LocalNeo4j, offset: int) -> bool:
    with server.log_file.open("rb") as log:
        log.seek(offset)
        return b"READY bolt://" in log.read()


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child (exited, not reaped) still answers kill 0
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and ") Z" in stat.read_text())


def _last_error(server: LocalNeo4j) -> str:
    try:
        lines = server.log_file.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "no log"
    for line in reversed(lines[-200:]):
        if "Exception" in line or "ERROR" in line or "Error" in line:
            return line.strip()[:300]
    return lines[-1].strip()[:300] if lines else "no output"
