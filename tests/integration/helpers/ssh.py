"""SSH into a test VM as users are told to: with its key, trusting only its pinned host keys."""
import subprocess


def run_ssh(key, known_hosts, destination, command, options=(), timeout=60):
    """Run `command` at `destination` (user@ip) with the private `key`, trusting only the
    host keys in `known_hosts` and never prompting; `options` are more `-o` settings.
    Returns the finished process (text output); a failed login does not raise."""
    argv = ["ssh", "-i", str(key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null"]
    for option in options:
        argv += ["-o", option]
    return subprocess.run(argv + [destination, command], capture_output=True, text=True, timeout=timeout,
                          check=False)
