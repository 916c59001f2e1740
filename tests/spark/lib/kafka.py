"""A one-node Kafka broker in KRaft mode on 127.0.0.1 (random free ports), from the jars
`make deps` fetched into .cache/jars/broker. Its storage is formatted in a temp folder; stop()
(also run at exit) kills it and removes the folder."""
import atexit
import base64
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

from . import env

JAVA_OPTS = ["-Xms64m", "-Xmx320m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             "-Djava.awt.headless=true"]


def sasl_lines(broker, extra):
    """A "SASL_PORT=N" entry of extra: a SASL_PLAINTEXT listener on N beside the others."""
    for x in extra:
        if x.startswith("SASL_PORT="):
            port = int(x.split("=", 1)[1])
            return ["listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d"
                    % (broker.port, broker.cport, port),
                    "advertised.listeners=PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d" % (broker.port, port)]
    return []


class Broker:
    def __init__(self, start_timeout=60, extra=()):
        self.dir = tempfile.mkdtemp(prefix="kraft.")
        self.port = env.free_port()
        self.cport = env.free_port()
        self.bootstrap = "127.0.0.1:%d" % self.port
        self.proc = None
        self.log = os.path.join(self.dir, "broker.log")
        atexit.register(self.stop)
        props = os.path.join(self.dir, "server.properties")
        with open(props, "w") as f:
            f.write("\n".join([
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:%d" % self.cport,
                "listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (self.port, self.cport),
                "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % self.port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "log.dirs=" + os.path.join(self.dir, "data"),
                "num.partitions=3",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=3",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "num.network.threads=2",
                "num.io.threads=2",
                "background.threads=2",
            ] + [x for x in extra if not x.startswith("SASL_PORT=")] + sasl_lines(self, extra) + [""]))
        self.props = props
        self.start_timeout = start_timeout
        cp = env.broker_classpath()
        # a cluster id as Kafka's Uuid.randomUuid makes them: never starting with "-" (the
        # storage tool would take it for an option; one in 64 random ids does)
        cluster = "-"
        while cluster.startswith("-"):
            cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        with open(self.log, "ab") as lf:
            subprocess.run(["java"] + JAVA_OPTS + ["-cp", cp, "kafka.tools.StorageTool", "format",
                            "-t", cluster, "-c", props], stdout=lf, stderr=lf, check=True,
                           timeout=start_timeout)
        self._start()

    def _start(self):
        with open(self.log, "ab") as lf:
            self.proc = subprocess.Popen(["java"] + JAVA_OPTS + ["-cp", env.broker_classpath(), "kafka.Kafka",
                                          self.props], stdout=lf, stderr=lf, start_new_session=True)
        deadline = time.time() + self.start_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("broker exited with %s: %s" % (self.proc.returncode, self.tail()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("broker did not listen within %ds: %s" % (self.start_timeout, self.tail()))

    def halt(self):
        """Stop the broker, keeping its storage for restart()."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def restart(self):
        """Start the broker halt() stopped again, on the same ports and storage."""
        self._start()

    def tail(self, n=2000):
        try:
            with open(self.log, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
