# shellcheck shell=bash
# Sourced by the scripts that run uv: `find_uv` sets UV to a uv executable, found in this order:
# PATH, ~/.local/bin/uv (pip --user puts it there, off PATH), the uv package of .venv's or the given
# Python (`python -m uv`); it installs uv with pip only when none of these has one.
find_uv() {
    local python="${1:-python3}" candidate
    if candidate="$(command -v uv)"; then
        UV="$candidate"
    elif [ -x "$HOME/.local/bin/uv" ]; then
        UV="$HOME/.local/bin/uv"
    elif candidate="$(_uv_of_python .venv/bin/python || _uv_of_python "$python")"; then
        UV="$candidate"
    else
        echo "uv not found (PATH, ~/.local/bin, python -m uv): installing it with pip" >&2
        "$python" -m pip install --quiet --user uv || "$python" -m pip install --quiet uv
        if [ -x "$HOME/.local/bin/uv" ]; then
            UV="$HOME/.local/bin/uv"
        else
            UV="$(_uv_of_python "$python")" || { echo "uv did not install" >&2; return 1; }
        fi
    fi
    export UV
}

# The binary behind `python -m uv`, if that Python has the uv package.
_uv_of_python() {
    [ -x "$1" ] || command -v "$1" >/dev/null || return 1
    "$1" -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null
}
