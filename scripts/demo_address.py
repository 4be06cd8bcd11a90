"""The address `make demo` really serves, said only once the server answers there.

    demo_address.py free HOST PORT      exit 1, saying so, when something already listens on HOST:PORT
    demo_address.py wait HOST PORT PID  wait until HOST:PORT accepts connections, then print the address
                                        to open; exit 1 if process PID (the web server) ends first

Used by scripts/serve_demo.sh; the address printed is http://HOST:PORT/ — with 127.0.0.1 in place of a
wildcard host (0.0.0.0, ::), which a browser cannot open.
"""

from __future__ import annotations

import os
import socket
import sys
import time

WILDCARDS = {"", "0.0.0.0", "::", "[::]", "*"}
TIMEOUT_S = 180


def open_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in WILDCARDS else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def answers(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in WILDCARDS else host.strip("[]")
    try:
        with socket.create_connection((target, port), timeout=1):
            return True
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a child that has exited but is not reaped yet is a zombie: gone for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "free":
        host, port = argv[1], int(argv[2])
        if answers(host, port):
            print(f"demo: 端口 {port} 已被占用（{open_url(host, port)} 已有服务在运行）。"
                  f"请换一个端口，例如 make demo PORT={port + 1}", file=sys.stderr)
            return 1
        return 0
    if len(argv) >= 4 and argv[0] == "wait":
        host, port, pid = argv[1], int(argv[2]), int(argv[3])
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            if answers(host, port):
                print(f"demo: 已就绪，请在浏览器中打开 {open_url(host, port)}（管理后台 /admin/，接口文档 /api/v1/docs）",
                      flush=True)
                return 0
            if not alive(pid):
                break
            time.sleep(0.3)
        print(f"demo: 网页服务未能在 {host}:{port} 启动，请查看上面的错误信息", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
