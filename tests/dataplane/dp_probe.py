#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""dp_probe.py — helpers for the dataplane integration test.

  dp_probe.py telemetry PREFIX CMD     print the JSON answer of a DPDK
                                       telemetry command (v2 socket)
  dp_probe.py malformed IFACE DST_IP COUNT
                                       send COUNT of each kind of malformed
                                       frame from IFACE (raw socket) to the
                                       host owning DST_IP (MAC from the
                                       kernel's neighbour table); print the
                                       drop reasons expected as JSON

  dp_probe.py relay VIA_IP TO_IP       ask dpzk-echo at VIA_IP to send a
                                       datagram to dpzk-echo at TO_IP, which
                                       sends it back to us; exit 0 when it
                                       arrives (bounded: 5 tries, 1 s each)

Runs inside the test's network namespace; sends only on IFACE, only to an
address of that namespace.  Bounded: COUNT <= 100, one pass.
"""
import json
import socket
import struct
import subprocess
import sys


def telemetry(prefix, cmd):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(20)  # a loaded 2-core machine can be slow to answer
    s.connect(path)
    info = json.loads(s.recv(16384).decode())
    s.send(cmd.encode())
    out = s.recv(info.get("max_output_len", 16384)).decode()
    s.close()
    return json.loads(out)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac_of(ip):
    out = subprocess.run(["ip", "neigh", "show", ip], capture_output=True,
                         text=True, check=False).stdout.split()
    if "lladdr" not in out:
        raise SystemExit("dp_probe: no neighbour entry for %s (ping it first)" % ip)
    return bytes.fromhex(out[out.index("lladdr") + 1].replace(":", ""))


def ip_hdr(src, dst, proto, payload_len, ttl=64, frag=0x4000, ihl=5,
           total=None, bad_csum=False):
    tl = total if total is not None else ihl * 4 + payload_len
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tl, 1, frag, ttl, proto,
                    0, socket.inet_aton(src), socket.inet_aton(dst))
    h += b"\x01" * (ihl * 4 - 20) if ihl > 5 else b""
    c = csum(h[:max(ihl, 5) * 4])
    if bad_csum:
        c ^= 0x5A5A
    return h[:10] + struct.pack("!H", c) + h[12:]


def udp(src, dst, sport, dport, payload, bad_csum=False, ulen=None):
    ln = ulen if ulen is not None else 8 + len(payload)
    h = struct.pack("!HHHH", sport, dport, ln, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!BBH", 0, 17, 8 + len(payload))
    c = csum(pseudo + h + payload) or 0xFFFF
    if bad_csum:
        c ^= 0x0F0F
    return h[:6] + struct.pack("!H", c) + payload


def malformed(iface, dst_ip, count):
    count = max(1, min(int(count), 100))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src_mac = s.getsockname()[4]
    dst_mac = mac_of(dst_ip)
    src_ip = "198.18.0.1"
    eth = dst_mac + src_mac + b"\x08\x00"
    pl = b"malformed-probe!"
    u = udp(src_ip, dst_ip, 40000, 2181, pl)
    frames = {
        "ipv4_bad_checksum": eth + ip_hdr(src_ip, dst_ip, 17, len(u),
                                          bad_csum=True) + u,
        "ipv4_fragment": eth + ip_hdr(src_ip, dst_ip, 17, len(u),
                                      frag=0x2000) + u,
        "ipv4_bad_ihl": eth + ip_hdr(src_ip, dst_ip, 17, len(u), ihl=4) + u,
        "ipv4_ttl_zero": eth + ip_hdr(src_ip, dst_ip, 17, len(u), ttl=0) + u,
        "ipv4_bad_length": eth + ip_hdr(src_ip, dst_ip, 17, len(u),
                                        total=1400) + u,
        "ipv4_not_for_us": eth + ip_hdr(src_ip, "198.18.0.99", 17, len(u)) +
        udp(src_ip, "198.18.0.99", 40000, 2181, pl),
        "ipv4_unknown_proto": eth + ip_hdr(src_ip, dst_ip, 6, 20) + b"\0" * 20,
        "ipv4_short": eth + b"\x45\x00\x00\x14" + b"\0" * 6,
        "udp_bad_checksum": eth + ip_hdr(src_ip, dst_ip, 17, len(u)) +
        udp(src_ip, dst_ip, 40000, 2181, pl, bad_csum=True),
        "udp_bad_length": eth + ip_hdr(src_ip, dst_ip, 17, len(u)) +
        udp(src_ip, dst_ip, 40000, 2181, pl, ulen=200),
        "udp_no_service": eth + ip_hdr(src_ip, dst_ip, 17, len(u)) +
        udp(src_ip, dst_ip, 40000, 9, pl),
        "eth_unknown_type": dst_mac + src_mac + b"\x88\xb5" + b"\0" * 46,
        "arp_bad_format": b"\xff" * 6 + src_mac + b"\x08\x06" +
        struct.pack("!HHBBH", 1, 0x0800, 6, 16, 1) + b"\0" * 30,
    }
    icmp = bytearray(struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"x" * 8)
    c = csum(bytes(icmp)) ^ 0x1111
    icmp[2:4] = struct.pack("!H", c)
    frames["icmp_bad_checksum"] = eth + ip_hdr(src_ip, dst_ip, 1,
                                               len(icmp)) + bytes(icmp)
    for _ in range(count):
        for f in frames.values():
            s.send(f)
    s.close()
    print(json.dumps({k: count for k in frames}))


def relay(via, to):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("198.18.0.1", 0))
    s.settimeout(1.0)
    me, port = s.getsockname()
    inner = b"DPZKRELAY" + socket.inet_aton(me) + struct.pack("!H", port) + \
        b"relayed-hello"
    outer = b"DPZKRELAY" + socket.inet_aton(to) + struct.pack("!H", 2181) + inner
    for _ in range(5):
        s.sendto(outer, (via, 2181))
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            continue
        if data == b"relayed-hello" and src[0] == to:
            print("relayed via %s and %s" % (via, to))
            return 0
    print("no relayed datagram")
    return 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "telemetry":
        print(json.dumps(telemetry(sys.argv[2], sys.argv[3])))
    elif len(sys.argv) == 4 and sys.argv[1] == "relay":
        sys.exit(relay(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "malformed":
        malformed(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
