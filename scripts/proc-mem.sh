#!/usr/bin/env bash
# Prints where the memory of a process tree goes: one line per process (the root PID and all its
# descendants), PSS from /proc/PID/smaps split by kind of mapping, in KiB.
#   scripts/proc-mem.sh PID [--malloc]
# Columns: pss = the process's proportional set size; anon = private memory (malloc arenas,
# the JS heap, thread stacks, GPU buffers); of which heap = the brk heap (glibc's main arena)
# and stacks = thread stacks ([stack] and the guard-paged anonymous maps of thread stacks are
# not told apart by the kernel, so only [stack] is counted here); libs = shared libraries and
# the executable; files = other mapped files (fonts, icon and GPU caches, locale data);
# shmem = shared memory (memfd, /dev/shm, SysV). With --malloc, the root process's glibc malloc
# is also asked (through gdb, if installed) what it holds: arenas, bytes in use and free.
# Not a test: it prints numbers and judges nothing.
set -euo pipefail
root=$1

descendants() {
  echo "$1"
  local c
  for c in $(pgrep -P "$1" || true); do descendants "$c"; done
}

printf '  %-7s %-18s %7s %8s %8s %7s %7s %8s %7s %7s\n' \
  pid process threads pss anon heap stacks libs files shmem
tot=0
for p in $(descendants "$root"); do
  [ -r "/proc/$p/smaps" ] || continue
  name=$(tr -d '\0' <"/proc/$p/comm" 2>/dev/null || echo '?')
  threads=$(awk '/^Threads:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
  exe=$(readlink "/proc/$p/exe" 2>/dev/null || echo '')
  # One smaps header line per mapping ("addr perms offset dev inode [path]"), then its fields.
  line=$(awk -v exe="$exe" '
    /^[0-9a-f]+-[0-9a-f]+ / {
      path = ""; for (i = 6; i <= NF; i++) path = path (i > 6 ? " " : "") $i
      inode = $5
      if (path == "[heap]") kind = "heap"
      else if (path ~ /^\[stack/) kind = "stacks"
      else if (path ~ /^\/memfd:|^\/dev\/shm\/|^\/SYSV|\(deleted\)$/ ) kind = "shmem"
      else if (path == "" || path ~ /^\[anon/) kind = "anon"
      else if (path ~ /^\[/) kind = "anon"
      else if (path == exe || path ~ /\.so(\.[0-9.]+)?$/) kind = "libs"
      else kind = "files"
      next
    }
    /^Pss:/ { pss[kind] += $2; total += $2 }
    END {
      anon = pss["anon"] + pss["heap"] + pss["stacks"]
      printf "%d %d %d %d %d %d %d", total, anon, pss["heap"], pss["stacks"], pss["libs"], pss["files"], pss["shmem"]
    }' "/proc/$p/smaps" 2>/dev/null) || continue
  read -r pss anon heap stacks libs files shmem <<<"$line"
  tot=$((tot + pss))
  printf '  %-7s %-18s %7s %8s %8s %7s %7s %8s %7s %7s\n' \
    "$p" "$name" "$threads" "$pss" "$anon" "$heap" "$stacks" "$libs" "$files" "$shmem"
done
printf '  %-7s %-18s %7s %8s\n' "" "all" "" "$tot"

# glibc malloc of the root process, asked in place: malloc_info() writes one XML report (per
# arena: its heap size and free chunks). The process is stopped for a moment and resumes.
if [ "${2:-}" = "--malloc" ] && command -v gdb >/dev/null 2>&1; then
  out=$(mktemp /tmp/malloc-info.XXXXXX)
  gdb -p "$root" -batch -nx \
    -ex "call (int) malloc_info(0, (void *) fopen(\"$out\", \"w\"))" \
    -ex 'call (int) fflush(0)' >/dev/null 2>&1 || true
  if [ -s "$out" ]; then
    python3 - "$out" <<'PY' || true
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
heaps = root.findall("heap")
system = int(next(s.get("size") for s in root.findall("system") if s.get("type") == "current"))
free = sum(int(t.get("size")) for t in root.findall("total") if t.get("type") in ("fast", "rest"))
mmap = sum(int(t.get("size")) for t in root.findall("total") if t.get("type") == "mmap")
print(f"  malloc (main process): {len(heaps)} arenas, {system // 1024} KiB from the system, "
      f"{(system - free) // 1024} KiB in use, {free // 1024} KiB free in the arenas, "
      f"{mmap // 1024} KiB in large mmap'd chunks")
PY
  fi
  rm -f "$out"
fi
