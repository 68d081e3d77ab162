#!/usr/bin/env python3
"""Drives a command through a real pseudo-terminal, like a user at a keyboard.

    ptydrive.py SCRIPT -- COMMAND [ARGS...]

SCRIPT holds one action per line, run in order while COMMAND runs on the pty:
    expect REGEX       wait (10 s) until the terminal output matches REGEX
    send TEXT          type TEXT (\\n, \\t and \\x03 escapes are understood)
    ctrl-c             type Ctrl-C
    sleep SECONDS
    shell COMMAND      run COMMAND with bash meanwhile (printed as `$ COMMAND`); a
                       non-zero exit fails the script unless the line is `shell! ...`
    wait [CODE]        wait (30 s) for COMMAND to end; with CODE, it must exit with it
Everything the terminal shows is copied to stdout. Exits 0 when every action passed,
1 (naming the failed line) otherwise; COMMAND is killed if still running.
"""
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        actions = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[3], sys.argv[3:])
    seen = bytearray()
    status = None

    def pump(timeout):
        nonlocal status
        ready, _, _ = select.select([fd], [], [], timeout)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if data:
                seen.extend(data)
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
                return True
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
        return False

    def fail(line, why):
        print(f"\nptydrive: step `{line}` failed: {why}", file=sys.stderr)
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        sys.exit(1)

    mark = 0
    for line in actions:
        verb, _, arg = line.partition(" ")
        if verb == "expect":
            pattern = re.compile(arg.encode())
            deadline = time.time() + 10
            while True:
                match = pattern.search(bytes(seen), mark)
                if match:
                    mark = match.end()
                    break
                if time.time() > deadline:
                    fail(line, "no match within 10 s")
                if not pump(0.1) and status is not None:
                    fail(line, "the command ended first")
        elif verb == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode())
        elif verb == "ctrl-c":
            os.write(fd, b"\x03")
        elif verb == "sleep":
            deadline = time.time() + float(arg)
            while time.time() < deadline:
                pump(0.05)
        elif verb in ("shell", "shell!"):
            print(f"\n$ {arg}", flush=True)
            result = subprocess.run(["bash", "-c", arg], stdout=sys.stdout, stderr=sys.stdout)
            if result.returncode != 0 and verb == "shell":
                fail(line, f"exit code {result.returncode}")
            while pump(0):
                pass
        elif verb == "wait":
            deadline = time.time() + 30
            while status is None:
                if time.time() > deadline:
                    fail(line, "the command did not end within 30 s")
                pump(0.1)
            while pump(0):
                pass
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
            print(f"\n[exit code {code}]", flush=True)
            if arg and int(arg) != code:
                fail(line, f"exit code {code}")
        else:
            fail(line, "unknown action")
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
