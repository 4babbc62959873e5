# Sourced by the test and demo runners: `python3` is Debian's /usr/bin/python3 (installed with the
# modules the tests import by scripts/install-deps.sh), even when another python3 comes first on
# PATH. A version manager's shim there (pyenv's: ~0.5 s a start, against ~0.04 s) was half of the
# integration suite's wall time, which calls python3 a few thousand times.
# The link lives in SW_RUN_DIR when the runner has one (removed by the runner), else in a directory
# of its own removed at exit.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3 2>/dev/null)" != /usr/bin/python3 ]; then
	if [ -n "${SW_RUN_DIR:-}" ]; then
		SW_PYTHON_DIR=$SW_RUN_DIR/bin
		mkdir -p "$SW_PYTHON_DIR"
	else
		SW_PYTHON_DIR=$(mktemp -d /tmp/sqlward-python.XXXXXX)
		if declare -F sw_at_exit >/dev/null; then sw_at_exit "rm -rf '$SW_PYTHON_DIR'"
		else trap 'rm -rf "$SW_PYTHON_DIR"' EXIT; fi
	fi
	ln -sf /usr/bin/python3 "$SW_PYTHON_DIR/python3"
	export PATH="$SW_PYTHON_DIR:$PATH"
fi
