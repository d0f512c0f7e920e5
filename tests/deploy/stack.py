"""The portal as deployed, on this machine's loopback: nginx (with the site from deploy/nginx, TLS
included) in front of two gunicorn instances (two "web machines"), one Celery worker, one beat, a Redis
of its own and, for object storage, moto's S3 server. PostgreSQL is the test database.

Every port is a free one picked at start; every wait is bounded; ``stop`` ends what ``start`` began
(TERM to each process, then KILL to its process group after a grace period).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "deploy"))
from render import render  # noqa: E402  (deploy/render.py is a script, not a package)

NGINX_MAIN = """daemon off;
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/site.conf;
}}
"""
S3_BUCKET = "hhht-media"
S3_KEYS = {"S3_ACCESS_KEY_ID": "smoke-key", "S3_SECRET_ACCESS_KEY": "smoke-secret"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise RuntimeError("nginx is not installed: `make services` installs it")
    return found


def wait_for(check, *, seconds: float, what: str, logs=()):
    """Call ``check`` until it returns a true value (returned) or ``seconds`` pass (AssertionError with
    the tails of ``logs``)."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (requests.RequestException, OSError) as exc:
            last = exc
        time.sleep(0.3)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs if p.exists())
    raise AssertionError(f"timed out after {seconds} s waiting for {what} ({last!r})\n{tails}")


class Stack:
    def __init__(self, base: Path, *, storage: str, extra_env: dict | None = None):
        self.base = base
        self.storage = storage
        self.var = base / "var"
        self.logs = base / "logs"
        self.nginx_dir = base / "nginx"
        for folder in (self.var, self.logs, self.nginx_dir / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in ("https", "http", "web_a", "web_b", "redis", "s3")}
        self.procs: dict[str, subprocess.Popen] = {}
        self.extra_env = extra_env or {}

    # --- addresses -------------------------------------------------------------------------------------
    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.ports['https']}"

    def web(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def cert(self) -> str:
        return str(self.base / "tls.crt")

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    # --- environment -----------------------------------------------------------------------------------
    def env(self) -> dict:
        db = connection.settings_dict
        env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if key in os.environ}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "hhht_power.settings",
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": "smoke-test-secret-key-" + "x" * 40,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": (
                    f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
                    f"{db['PORT'] or 5432}/{db['NAME']}"
                ),
                "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
                "HHHT_VAR_DIR": str(self.var),
                "MEDIA_ROOT": str(self.var / "private-media"),
                "MEDIA_ACCEL_REDIRECT": "/_protected/",
                "MEDIA_STORAGE": self.storage,
                "DEADLINE_PASS_SECONDS": "3",
                "NOTIFICATION_SWEEP_SECONDS": "5",
                "SUPERVISION_REFRESH_SECONDS": "2",
                "RISK_REFRESH_SECONDS": "3600",
                "PYTHONUNBUFFERED": "1",
                "LOG_FORMAT": "json",
            }
        )
        if self.storage == "s3":
            env.update(
                {
                    "S3_ENDPOINT_URL": f"http://127.0.0.1:{self.ports['s3']}",
                    "S3_BUCKET": S3_BUCKET,
                    "S3_REGION": "us-east-1",
                    **S3_KEYS,
                }
            )
        env.update(self.extra_env)
        return env

    # --- processes -------------------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str], *, env=None) -> subprocess.Popen:
        out = open(self.log(name), "ab")  # noqa: SIM115  (closed with the process)
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env or self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        self.procs[name] = proc
        return proc

    def _run(self, name: str, args: list[str], *, timeout: float) -> None:
        with open(self.log(name), "ab") as out:
            subprocess.run(
                args,
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=True,
            )

    def start(self) -> "Stack":
        self._tls()
        self._spawn(
            "redis",
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.ports["redis"]), "--save", ""]
            + ["--appendonly", "no"],
            env={"PATH": os.environ["PATH"]},
        )
        if self.storage == "s3":
            self._spawn("s3", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.ports["s3"])])
        self._run(
            "collectstatic", [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], timeout=240
        )
        for name in ("web_a", "web_b"):
            # Each "machine" adds up its gunicorn workers' request figures in a folder of its own.
            metrics_dir = self.base / f"metrics-{name}"
            metrics_dir.mkdir()
            self._spawn(
                name,
                [str(VENV_BIN / "gunicorn"), "hhht_power.wsgi:application", "--bind"]
                + [f"127.0.0.1:{self.ports[name]}", "--workers", "2", "--access-logfile", "-"]
                + ["--error-logfile", "-", "--graceful-timeout", "5"],
                env={**self.env(), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
            )
        celery = [str(VENV_BIN / "celery"), "-A", "hhht_power"]
        self._spawn(
            "worker",
            celery
            + [
                "worker",
                "--loglevel=INFO",
                "--concurrency",
                "1",
                "--hostname",
                f"smoke{self.ports['redis']}@%h",
            ],
        )
        self._spawn(
            "beat",
            celery + ["beat", "--loglevel=INFO", "--scheduler", "hhht_power.beat:LockedDatabaseScheduler"],
        )
        self._nginx()
        if self.storage == "s3":
            self._bucket()
        for name in ("web_a", "web_b"):
            wait_for(
                lambda name=name: self._served(name),
                seconds=90,
                what=f"{name} to answer",
                logs=[self.log(name)],
            )
        wait_for(
            lambda: requests.get(f"{self.origin}/healthz", verify=self.cert, timeout=5).status_code == 200,
            seconds=30,
            what="nginx to answer",
            logs=[self.nginx_dir / "nginx-error.log", self.log("nginx")],
        )
        return self

    def _served(self, name: str) -> bool:
        response = requests.get(
            f"{self.web(name)}/healthz",
            headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"},
            timeout=5,
        )
        return response.status_code == 200

    def _tls(self) -> None:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
            ]
            + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(self.base / "tls.key")]
            + ["-out", self.cert],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def _nginx(self) -> None:
        site = render(
            (ROOT / "deploy/nginx/hhht-power.conf").read_text(encoding="utf-8"),
            {
                "UPSTREAM_SERVERS": "\n".join(
                    f"    server 127.0.0.1:{self.ports[name]};" for name in ("web_a", "web_b")
                ),
                "SERVER_NAME": "127.0.0.1 localhost",
                "HTTP_PORT": f"127.0.0.1:{self.ports['http']}",
                "HTTPS_PORT": f"127.0.0.1:{self.ports['https']}",
                "PUBLIC_ORIGIN": self.origin,
                "TLS_CERT": self.cert,
                "TLS_KEY": str(self.base / "tls.key"),
                "STATIC_ROOT": str(self.var / "staticfiles"),
                "MEDIA_ROOT": str(self.var / "private-media"),
                "MEDIA_ACCEL_REDIRECT": "/_protected/",
            },
        )
        (self.nginx_dir / "site.conf").write_text(site, encoding="utf-8")
        # As root, nginx's workers would run as nobody, who cannot read the test's private folders.
        user = "user root;" if os.geteuid() == 0 else ""
        main = NGINX_MAIN.format(dir=self.nginx_dir, user=user)
        (self.nginx_dir / "nginx.conf").write_text(main, encoding="utf-8")
        nginx = [nginx_binary(), "-p", str(self.nginx_dir), "-e", str(self.nginx_dir / "nginx-error.log")]
        nginx += ["-c", str(self.nginx_dir / "nginx.conf")]
        with open(self.log("nginx"), "ab") as out:
            subprocess.run(nginx + ["-t"], stdout=out, stderr=subprocess.STDOUT, check=True, timeout=30)
        self._spawn("nginx", nginx, env={"PATH": os.environ["PATH"]})

    def _bucket(self) -> None:
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.ports['s3']}",
            aws_access_key_id=S3_KEYS["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["S3_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )
        wait_for(
            lambda: s3.list_buckets() is not None, seconds=60, what="the S3 server", logs=[self.log("s3")]
        )
        s3.create_bucket(Bucket=S3_BUCKET)
        self.s3 = s3

    def served_by(self, method: str, path: str) -> dict[str, int]:
        """How many times each web instance's access log shows ``method path``."""
        needle = f'"{method} {path} '
        return {name: self.log(name).read_text(errors="replace").count(needle) for name in ("web_a", "web_b")}

    def send(self, session, method: str, path: str, **kwargs) -> tuple[requests.Response, str]:
        """``session.request`` through nginx, and the web instance that answered it (from the access logs,
        which gunicorn writes just after the response)."""
        before = self.served_by(method, path)
        response = session.request(method, f"{self.origin}{path}", timeout=20, **kwargs)

        def answered():
            after = self.served_by(method, path)
            return next((name for name in after if after[name] > before[name]), None)

        return response, wait_for(answered, seconds=10, what=f"{method} {path} in a web access log")

    def stop(self) -> None:
        """TERM every process (nginx, web, beat, worker, then the stores), KILL what is left after 15 s."""
        order = ["nginx", "web_a", "web_b", "beat", "worker", "s3", "redis"]
        running = [self.procs[name] for name in order if name in self.procs]
        for proc in running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT if proc is self.procs.get("nginx") else signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in running:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the process group this stack started
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
