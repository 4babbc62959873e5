#!/usr/bin/env python3
"""Split each held statement's wait into segments, from `perf script` output (bench/hold_trace.sh).

Per held statement of a backend B (the kernel's SIGSTOP to B starts it) and the daemon's loop
thread D (its main thread):
  stop      signal_generate sig=19 to B (in the probe, B's own context)
  b_off     B switched out (stopped)
  d_waking  D woken (sched_waking; absent when D was still running)
  d_on      D switched in
  write     D's first write(2) after it is on the CPU (the decision's record)
  fsync     the sync thread's fdatasync covering it (decision mode)
  cont      D's kill(B, SIGCONT)
  b_on      B switched in again: the statement runs
"""
import argparse
import json
import re
import statistics
import sys

LINE = re.compile(r"^\s*(.+?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$")
KV = re.compile(r"(\w+)[=:]\s*(\S+)")
IDLE_EXIT = 4294967295
RAW = re.compile(r"NR (\d+)(?: \(([^)]*)\))?")
SYSCALLS = {0: "read", 1: "write", 8: "lseek", 62: "kill", 232: "epoll_wait", 262: "newfstatat", 321: "bpf",
            202: "futex", 75: "fdatasync", 3: "close", 257: "openat", 17: "pread64", 311: "process_vm_writev",
            310: "process_vm_readv", 228: "clock_gettime", 89: "readlink", 4: "stat", 5: "fstat"}


def fields(s):
    return {k: v.rstrip(",") for k, v in KV.findall(s)}


def num(v):
    return int(v, 16) if v.startswith("0x") else int(v)


class Hold:
    __slots__ = ("pid", "bcpu", "stop", "b_off", "d_waking", "d_target", "d_target_idle", "waker", "d_on", "d_cpu",
                 "d_was_running", "write", "fs_enter", "fs_exit", "d_waking2", "d_on2", "cont", "b_waking",
                 "b_target", "b_target_idle", "b_on", "b_cpu", "d_off_after", "recv", "send", "log", "inferred")

    def __init__(self, pid, cpu, t):
        for k in self.__slots__:
            setattr(self, k, None)
        self.pid, self.bcpu, self.stop = pid, cpu, t
        self.log = []
        self.inferred = 0


def parse(path, daemon):
    """(holds, services): each complete hold, and each backend's recv(2)-to-send(2) time per query."""
    holds, open_ = [], {}
    last_recv, last_hold, services = {}, {}, {}
    idle = {}                 # cpu -> idle now
    d_running = False
    for line in open(path, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        comm, pid, tid, cpu, t, ev, rest = m.groups()
        pid, tid, cpu, t = int(pid), int(tid), int(cpu), float(t) * 1e6
        # A switch-in can be missing from the trace (seen for an idle vCPU's switches here): the
        # first event in the task's own context then says it runs (an upper bound, counted).
        for h in list(open_.values()):
            if tid == daemon and h.d_waking is not None and h.d_on is None and h.cont is None:
                h.d_on, h.d_cpu, h.inferred = t, cpu, h.inferred + 1
            if tid == h.pid and h.cont is not None and t > h.cont and not ev.startswith(("sched:", "signal:")):
                h.b_on, h.b_cpu, h.inferred = t, cpu, h.inferred + 1
                h.recv = last_recv.get(h.pid)
                holds.append(open_.pop(h.pid))
                last_hold[h.pid] = h
        if ev.startswith("raw_syscalls:"):
            # The daemon's own syscalls (filtered to its loop thread): the ones the split needs
            # become the events below; all go into the timeline of the holds open now.
            m2 = RAW.match(rest)
            if not m2 or tid != daemon:
                continue
            nr = int(m2.group(1))
            for h in open_.values():
                h.log.append((t, cpu, f"daemon {'enter' if ev.endswith('enter') else 'exit '} "
                                      f"{SYSCALLS.get(nr, nr)}"))
            if not ev.endswith("enter"):
                continue
            args = (m2.group(2) or "").split(",")
            if nr == 1:
                ev, rest = "syscalls:sys_enter_write", ""
            elif nr == 62 and len(args) >= 2:
                ev, rest = "syscalls:sys_enter_kill", f"pid: 0x{args[0].strip()}, sig: 0x{args[1].strip()}"
            else:
                continue
        f = fields(rest)
        for h in open_.values():
            if ev in ("sched:sched_switch", "sched:sched_waking") or pid == daemon or tid == h.pid or \
                    (ev.startswith(("irq:", "irq_vectors:")) and cpu in (h.bcpu, h.d_cpu)):
                h.log.append((t, cpu, f"{comm}[{tid}] {ev.split(':')[1]} {rest[:90]}"))
        if ev == "power:cpu_idle":
            idle[int(f["cpu_id"])] = int(f["state"]) != IDLE_EXIT
            continue
        if ev == "syscalls:sys_exit_recvfrom":
            if rest.strip().startswith("0x") and num(rest.strip()) > 0 and tid not in last_recv:
                last_recv[tid] = t
            continue
        if ev == "syscalls:sys_enter_sendto":
            if tid in last_recv:
                r = last_recv.pop(tid)
                services.setdefault(tid, []).append(t - r)
                h = last_hold.pop(tid, None)
                if h and h.recv == r:
                    h.send = t
            continue
        if ev == "signal:signal_generate":
            if f.get("sig") == "19" and int(f["pid"]) == pid:
                open_[pid] = Hold(pid, cpu, t)
            continue
        if ev == "sched:sched_switch":
            prev, nxt = int(f["prev_pid"]), int(f["next_pid"])
            if prev == daemon:
                d_running = False
                for h in open_.values():
                    if h.cont is not None and h.d_off_after is None:
                        h.d_off_after = t
            if nxt == daemon:
                d_running = True
            h = open_.get(prev)
            if h and h.b_off is None:
                h.b_off = t
            for h in open_.values():
                if nxt == daemon and h.cont is None:
                    if h.d_waking2 is not None and h.d_on2 is None:
                        h.d_on2, h.d_cpu = t, cpu
                    elif h.d_waking is not None and h.d_on is None:
                        h.d_on, h.d_cpu = t, cpu
            h = open_.get(nxt)
            if h and h.cont is not None:
                h.b_on, h.b_cpu = t, cpu
                h.recv = last_recv.get(nxt)
                holds.append(open_.pop(nxt))
                last_hold[nxt] = h
            continue
        if ev == "sched:sched_waking":
            p = int(f["pid"])
            target = int(f["target_cpu"])
            for h in open_.values():
                if p == daemon and h.cont is None:
                    if h.d_waking is None and h.write is None:
                        h.d_waking, h.d_target, h.waker = t, target, comm
                        h.d_target_idle = idle.get(target, False)
                        if d_running:   # woken on its way to sleep, still on its CPU: no switch follows
                            h.d_on, h.d_cpu = t, cpu
                    elif h.fs_exit is not None and h.d_waking2 is None:
                        h.d_waking2 = t
            h = open_.get(p)
            if h and h.cont is not None and h.b_waking is None:
                h.b_waking, h.b_target = t, target
                h.b_target_idle = idle.get(target, False)
            continue
        if tid == daemon and ev == "syscalls:sys_enter_write":
            for h in open_.values():
                if h.write is None and h.cont is None and (h.d_on is not None or h.d_waking is None):
                    if h.d_on is None:
                        h.d_was_running = True
                    h.write = t
            continue
        if pid == daemon and tid != daemon and ev == "syscalls:sys_enter_fdatasync":
            for h in open_.values():
                if h.write is not None and h.fs_enter is None and h.cont is None:
                    h.fs_enter = t
            continue
        if pid == daemon and tid != daemon and ev == "syscalls:sys_exit_fdatasync":
            for h in open_.values():
                if h.fs_enter is not None and h.fs_exit is None and h.cont is None:
                    h.fs_exit = t
            continue
        if tid == daemon and ev == "syscalls:sys_enter_kill":
            p, sig = num(f["pid"]), num(f["sig"])
            h = open_.get(p)
            if h and sig == 18 and h.cont is None:
                h.cont = t
            continue
    return holds, services


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def row(name, xs, out):
    xs = [x for x in xs if x is not None]
    if not xs:
        return
    print(f"  {name:52s} n={len(xs):5d} p50={pct(xs, .5):8.1f} p90={pct(xs, .9):8.1f} "
          f"p99={pct(xs, .99):8.1f} max={max(xs):8.1f}")
    out.append((name, len(xs), pct(xs, .5), pct(xs, .99)))


def seg(a, b):
    return b - a if a is not None and b is not None else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", type=int, required=True)
    ap.add_argument("--ledger")
    ap.add_argument("--table")
    ap.add_argument("--explain", type=int, default=3, help="print the timelines of the median hold and the N slowest")
    ap.add_argument("trace")
    a = ap.parse_args()
    holds, services = parse(a.trace, a.daemon)
    out = []
    if services:
        # The backend that served the run: the one with the most queries.
        busiest = max(services, key=lambda k: len(services[k]))
        row(f"backend {busiest}: query recv(2) -> reply send(2)", services[busiest], out)
    if not holds:
        print("  no complete held statement found in the trace")
        return 0 if services else 1
    print(f"  per held statement, us (stop = the probe's SIGSTOP to the backend):")
    row("stop -> backend off its CPU", [seg(h.stop, h.b_off) for h in holds], out)
    row("stop -> daemon woken (ring buffer wake-up)", [seg(h.stop, h.d_waking) for h in holds], out)
    row("daemon woken -> on a CPU (its scheduling delay)", [seg(h.d_waking, h.d_on) for h in holds], out)
    row("daemon on CPU -> record write(2) (the decision)", [seg(h.d_on, h.write) for h in holds if h.d_on], out)
    row("stop -> record write(2), daemon already running",
        [seg(h.stop, h.write) for h in holds if h.d_was_running], out)
    dec = [h for h in holds if h.fs_enter is not None]
    if dec:
        row("record write -> fdatasync begins (sync thread)", [seg(h.write, h.fs_enter) for h in dec], out)
        row("fdatasync", [seg(h.fs_enter, h.fs_exit) for h in dec], out)
        row("fdatasync done -> daemon woken (eventfd)", [seg(h.fs_exit, h.d_waking2) for h in dec], out)
        row("daemon woken -> on a CPU (2nd)", [seg(h.d_waking2, h.d_on2) for h in dec], out)
        row("daemon on CPU (2nd) -> SIGCONT", [seg(h.d_on2, h.cont) for h in dec], out)
    row("record write(2) -> SIGCONT sent", [seg(h.write, h.cont) for h in holds], out)
    row("SIGCONT -> backend on a CPU (its scheduling delay)", [seg(h.cont, h.b_on) for h in holds], out)
    row("SIGCONT -> daemon off its CPU (back to epoll)", [seg(h.cont, h.d_off_after) for h in holds], out)
    row("TOTAL stop -> backend running again", [seg(h.stop, h.b_on) for h in holds], out)
    row("query recv(2) -> stop (probe traps, BPF, parse prep)", [seg(h.recv, h.stop) for h in holds], out)
    row("backend running again -> reply send(2) (execution)", [seg(h.b_on, h.send) for h in holds], out)
    n = len(holds)
    woken = [h for h in holds if h.d_waking is not None]
    same_d = sum(1 for h in woken if h.d_cpu == h.bcpu)
    idle_d = sum(1 for h in woken if h.d_target_idle)
    same_b = sum(1 for h in holds if h.b_cpu == h.d_cpu)
    idle_b = sum(1 for h in holds if h.b_target_idle)
    inferred = sum(1 for h in holds if h.inferred)
    if inferred:
        print(f"  {inferred} holds with a switch-in missing from the trace: the task's first own event "
              f"stands for it (an upper bound)")
    print(f"  {n} holds; daemon woken in {len(woken)} (already running in {n - len(woken)}); "
          f"woken onto the backend's CPU {same_d}, onto an idle CPU {idle_d}; "
          f"backend resumed on the daemon's CPU {same_b}, onto an idle CPU {idle_b}")
    wakers = {}
    for h in woken:
        wakers[h.waker] = wakers.get(h.waker, 0) + 1
    print("  daemon woken in the context of: " + ", ".join(f"{k} {v}" for k, v in sorted(wakers.items())))
    by_total = sorted(holds, key=lambda h: h.b_on - h.stop)
    shown = ([("median", by_total[len(by_total) // 2])] +
             [("slow", h) for h in by_total[-a.explain:]]) if a.explain else []
    for kind, h in shown:
        print(f"  -- {kind} hold: backend {h.pid}, {h.b_on - h.stop:.0f} us from stop to running "
              f"(times in us from stop; the daemon's syscalls only when traced)")
        for t, cpu, what in h.log:
            if t <= h.b_on:
                print(f"     {t - h.stop:8.1f} [{cpu}] {what}")
    if a.ledger:
        held = []
        for line in open(a.ledger):
            r = json.loads(line)
            if r.get("type") == "statement" and r.get("role") == "agent_bench" and r.get("outcome") == "ran":
                held.append(r.get("held_us", 0))
        if held:
            print(f"  ledger held_us (probe to decision): n={len(held)} p50={pct(held, .5)} p99={pct(held, .99)}")
    if a.table:
        with open(a.table, "w") as f:
            f.write("stop\tb_off\td_waking\td_on\twrite\tfs_enter\tfs_exit\td_on2\tcont\tb_on\tbcpu\tdcpu\tb_cpu\n")
            for h in holds:
                vals = [h.stop, h.b_off, h.d_waking, h.d_on, h.write, h.fs_enter, h.fs_exit, h.d_on2, h.cont, h.b_on]
                f.write("\t".join("" if v is None else f"{v - h.stop:.1f}" for v in vals) +
                        f"\t{h.bcpu}\t{h.d_cpu}\t{h.b_cpu}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
