# Sourced by the server benchmark scripts: the VM's steal time (CPU time the host gave to others; see
# approve-steal.py) over a stretch of time, from the `cpu` line of /proc/stat.
#
#   ticks=$(cpu_ticks); …run…; steal_since "$ticks"     # prints "steal 3.4%"

# Total jiffies and steal jiffies so far.
cpu_ticks() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $9 }' /proc/stat; }

# The share of CPU time stolen since `cpu_ticks` printed $1.
steal_since() {
    local total0 steal0 total1 steal1
    read -r total0 steal0 <<<"$1"
    read -r total1 steal1 <<<"$(cpu_ticks)"
    awk -v t="$((total1 - total0))" -v s="$((steal1 - steal0))" 'BEGIN { printf "steal %.1f%%", (t > 0 ? 100 * s / t : 0) }'
}
