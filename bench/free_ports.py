#!/usr/bin/python3
"""Loopback ports free for both TCP and UDP (DNS servers need both), chosen
now; another process can still take one before it is bound.

Usage: bench/free_ports.py N   (prints N ports on one line)
"""
import socket
import sys


def free_ports(n):
    ports, held = [], []
    while len(ports) < n:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            t.close()
            continue
        held += [t, u]
        ports.append(port)
    for s in held:
        s.close()
    return ports


if __name__ == "__main__":
    print(*free_ports(int(sys.argv[1])))
