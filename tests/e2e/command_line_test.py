"""The real binary's command line, as an operator meets it: every mistake
exits 2 with one line naming the option, the value and what was expected
(a sentence at a terminal, a JSON log line otherwise);
EVSTREAM_* variables and INI files fill in what the command line leaves out,
and --dump-config says where each value came from, secrets redacted."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

from harness import DEADLINE, Server

EVSTREAM = os.path.abspath(sys.argv.pop(1))  # the tests run it from other directories


def run(*args, env=None, cwd=None):
    """evstream with `args` and only the given EVSTREAM_* variables."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("EVSTREAM_")}
    environment.update(env or {})
    return subprocess.run([EVSTREAM, *args], capture_output=True, text=True, timeout=DEADLINE,
                          env=environment, cwd=cwd or tempfile.gettempdir())


class CommandLineTest(unittest.TestCase):
    def assert_refused(self, expected, *args, env=None):
        """Exit 2 and one JSON line naming the mistake (stderr is a pipe here, not a terminal)."""
        result = run(*args, env=env)
        self.assertEqual((result.returncode, result.stdout), (2, ""), result.stderr)
        [line] = result.stderr.splitlines()
        logged = json.loads(line)
        self.assertEqual((logged["level"], logged["event"], logged["error"]), ("error", "invalid_configuration", expected))

    def test_wrong_values_are_named_in_words(self):
        self.assert_refused('--port: "abc" is not a port number (0-65535)', "--port=abc")
        self.assert_refused('--port: "99999" is not a port number (0-65535)', "--port", "99999")
        self.assert_refused('--keepalive-timeout: "180" needs a unit, e.g. 180s or 3min', "--keepalive-timeout=180")
        self.assert_refused("--port needs a value, e.g. --port=VALUE", "--port")
        self.assert_refused('--source must be demo, ingest, stdin, bigchaindb or none, not "kafka"', "--source=kafka")

    def test_unknown_options_and_stray_words_exit_2_with_a_suggestion(self):
        self.assert_refused("unknown option --prot (did you mean --port?)", "--prot=9984")
        self.assert_refused('unexpected word "tial" (did you mean evstream tail?)', "tial", "http://127.0.0.1:9984")
        self.assert_refused("EVSTREAM_PROT is set, but names no option (did you mean EVSTREAM_PORT?)",
                            env={"EVSTREAM_PROT": "1"})

    def test_config_files_name_their_line_and_a_second_one_is_read_too(self):
        with tempfile.TemporaryDirectory() as directory:
            first, second, token = (os.path.join(directory, name) for name in ("a.ini", "b.ini", "token"))
            with open(token, "w") as file:
                file.write("s3cret\n")
            with open(first, "w") as file:
                file.write("source = ingest\nport = 0\n")
            with open(second, "w") as file:
                file.write(f"# the token in its own file, as the README advises\ningest-token-file = {token}\n")
            dumped = run(f"--config-file={first}", f"--config-file={second}", "--dump-config")
            self.assertEqual(dumped.returncode, 0, dumped.stderr)
            self.assertRegex(dumped.stdout, rf"ingest-token-file = {token} +# {second}:2\n")
            self.assertRegex(dumped.stdout, rf"source = ingest +# {first}:1\n")
            # The second file is not dropped: ingest needs its token.
            server = Server(EVSTREAM, f"--config-file={first}", f"--config-file={second}", source=None)
            self.addCleanup(server.stop)
            self.assertEqual(server.listening["config"]["ingest-token-file"], token)
            with open(first, "a") as file:
                file.write("prot = 1\n")
            self.assert_refused(f'{first}:3: unknown option "prot" (did you mean port?)', f"--config-file={first}")
            with open(second, "w") as file:
                file.write("source = \"ingest\nnot an option line\n")
            self.assert_refused(f'{second}:2: "not an option line" is not name=value', f"--config-file={second}")

    def test_the_environment_sits_between_the_command_line_and_the_file(self):
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "evstream.ini"), "w") as file:
                file.write("port = 7000\nkeepalive-timeout = 1min\ndemo-rate = 2\n")
            dumped = run("--dump-config", "--demo-rate=3", cwd=directory,
                         env={"EVSTREAM_PORT": "7001", "EVSTREAM_DEMO_RATE": "4", "EVSTREAM_INGEST_TOKEN": "s3cret"})
        self.assertEqual(dumped.returncode, 0, dumped.stderr)
        self.assertRegex(dumped.stdout, r"\nport = 7001 +# EVSTREAM_PORT\n")
        self.assertRegex(dumped.stdout, r"\nkeepalive-timeout = 1min +# evstream.ini:2\n")
        self.assertRegex(dumped.stdout, r"\ndemo-rate = 3 +# --demo-rate\n")
        self.assertRegex(dumped.stdout, r"\ningest-token = <redacted> +# EVSTREAM_INGEST_TOKEN\n")
        self.assertNotIn("s3cret", dumped.stdout)

    def test_help_names_the_file_the_commands_and_groups_caf_apart(self):
        result = run("--help")
        self.assertEqual(result.returncode, 0)
        for text in ("evstream.ini", "evstream tail", "evstream scenario", "EVSTREAM_PORT",
                     "The actor system (CAF's own options):", "--caf.scheduler.max-threads"):
            self.assertIn(text, result.stdout)
        self.assertNotIn("caf-application.ini", result.stdout)
        self.assertNotIn("opencl", result.stdout)
        self.assertLess(result.stdout.index("--tls-cert"), result.stdout.index("CAF's own options"))

    def test_at_a_terminal_the_mistake_is_a_plain_sentence(self):
        import pty
        leader, follower = pty.openpty()
        with os.fdopen(leader, "rb", buffering=0) as terminal:
            process = subprocess.Popen([EVSTREAM, "--port=abc"], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=follower)
            os.close(follower)
            self.assertEqual(process.wait(timeout=DEADLINE), 2)
            self.assertEqual(terminal.read(200).decode().replace("\r\n", "\n"),
                             'evstream: --port: "abc" is not a port number (0-65535)\n')

    def test_tail_and_scenario_read_options_the_same_way(self):
        tail = run("tail", "--ping-interval=30", "127.0.0.1:9")
        self.assertEqual((tail.returncode, tail.stderr),
                         (2, 'evstream tail: --ping-interval: "30" needs a unit, e.g. 30s or 3min\n'))
        scenario = run("scenario", "--time-scael=1", "x.json")
        self.assertEqual((scenario.returncode, scenario.stderr),
                         (2, "evstream scenario: unknown option --time-scael (did you mean --time-scale?)\n"))


if __name__ == "__main__":
    unittest.main()
