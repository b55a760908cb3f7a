"""pgtest: a real PostgreSQL for the tests of the shared registry
(store = postgres): tests/e2e/registry.t and tests/cluster.

    pg = Postgres(dir)      # initdb into dir/data, as nobody when root
    pg.start()              # a unix socket in dir alone, no TCP
    pg.dsn()                # fnhost.conf's postgres_dsn
    pg.sql("SELECT 1")      # psql, its output
    pg.statements()         # (the replication polls', the others') calls
    pg.stop()

PGBINS is empty when PostgreSQL is not installed: the caller skips."""
import glob
import os
import shutil
import subprocess

from fnhtap import free_port

PGBINS = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


class Postgres:
    """One PostgreSQL cluster in dir, listening on a unix socket there
    alone, run as nobody when the test runs as root."""

    def __init__(self, dir):
        self.bin = os.path.dirname(PGBINS[-1])
        self.dir = dir
        self.data = os.path.join(dir, "data")
        self.port = free_port()
        self.as_user = []
        os.makedirs(dir, mode=0o755)
        if os.geteuid() == 0:
            shutil.chown(dir, "nobody", "nogroup")
            self.as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                            "--clear-groups"]
        self.cmd(["initdb", "-D", self.data, "-A", "trust", "-U", "fnhost",
                  "--no-sync", "-E", "UTF8"])

    def cmd(self, argv, check=True):
        return subprocess.run(self.as_user + [os.path.join(self.bin, argv[0])]
                              + argv[1:], capture_output=True, text=True,
                              check=check, cwd=self.dir)

    def start(self):
        self.cmd(["pg_ctl", "-D", self.data, "-l",
                  os.path.join(self.dir, "log"), "-w", "-o",
                  "-k %s -c listen_addresses='' -p %d -c fsync=off "
                  "-c shared_preload_libraries=pg_stat_statements"
                  % (self.dir, self.port), "start"])

    def stop(self):
        self.cmd(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"],
                 check=False)

    def dsn(self, db="postgres"):
        return "host=%s port=%d dbname=%s user=fnhost" % (self.dir,
                                                          self.port, db)

    def sql(self, q, db="postgres"):
        r = self.cmd(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h",
                      self.dir, "-p", str(self.port), "-U", "fnhost", "-d",
                      db, "-c", q])
        return r.stdout.strip()

    # What a host's replication thread runs when nothing changed.
    POLL = ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            "SELECT seq FROM fnhost_state", "COMMIT")

    def statements(self):
        """(calls of the replication polls' statements, calls of every
        other statement but psql's own) since the last reset, from
        pg_stat_statements (loaded by start(), made by the caller's
        CREATE EXTENSION)."""
        poll = ", ".join("'%s'" % q for q in self.POLL)
        out = self.sql("SELECT coalesce(sum(calls) FILTER (WHERE query IN "
                       "(%s)), 0), coalesce(sum(calls) FILTER (WHERE query "
                       "NOT IN (%s) AND query NOT LIKE '%%pg_stat%%'), 0) "
                       "FROM pg_stat_statements" % (poll, poll))
        a, b = out.split("|")
        return int(a), int(b)
