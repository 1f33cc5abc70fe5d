# Simulated hosts for workers/tests/fleet/fleet.sh (bash, sourced):
# one network namespace per host, each with a veth pair to a bridge that
# lives in a namespace of its own (the "switch"), so nothing is added to
# the machine's own namespace: no address, no route, no interface.
#
#   net_up HOST...            creates the switch and the hosts
#   net_addr HOST             the host's address (10.200.0.X)
#   on HOST command...        runs a command on a host
#   on_bg HOST command...     the same in the background, remembered
#                             for net_down (sets BG_PID)
#   link_down HOST, link_up HOST
#                             the host's cable out and back in
#   net_down                  kills every process of every host, then
#                             deletes the namespaces (veths go with them)
#
# Namespace names are "$NET_PREFIX-HOST" (NET_PREFIX defaults to
# strmfleet-$$), so parallel runs do not collide; addresses live only
# inside these namespaces, so runs may reuse them.

NET_PREFIX=${NET_PREFIX:-strmfleet-$$}
NET_SUBNET=10.200.0
NET_HOSTS=()
NET_BG_PIDS=()
declare -A NET_ADDR

ns_name() { echo "$NET_PREFIX-$1"; }

net_addr() { echo "${NET_ADDR[$1]}"; }

on() {
    local host=$1
    shift
    ip netns exec "$(ns_name "$host")" "$@"
}

on_bg() {
    local host=$1
    shift
    ip netns exec "$(ns_name "$host")" "$@" &
    BG_PID=$!
    NET_BG_PIDS+=("$BG_PID")
}

# net_up HOST...: hosts get 10.200.0.10, .11, ... in the order given
net_up() {
    local sw h i=10 err
    sw=$(ns_name sw)
    if ! err=$(ip netns add "$sw" 2>&1); then
        echo "cannot create a network namespace: $err" >&2
        return 1
    fi
    NET_HOSTS+=(sw)
    ip -n "$sw" link set lo up || return 1
    ip -n "$sw" link add br0 type bridge || return 1
    ip -n "$sw" link set br0 up || return 1
    for h in "$@"; do
        ip netns add "$(ns_name "$h")" || return 1
        NET_HOSTS+=("$h")
        NET_ADDR[$h]=$NET_SUBNET.$i
        ip -n "$sw" link add "p-$h" type veth peer name eth0 \
            netns "$(ns_name "$h")" || return 1
        ip -n "$sw" link set "p-$h" master br0 up || return 1
        ip -n "$(ns_name "$h")" link set lo up || return 1
        ip -n "$(ns_name "$h")" addr add "$NET_SUBNET.$i/24" dev eth0 \
            || return 1
        ip -n "$(ns_name "$h")" link set eth0 up || return 1
        i=$((i + 1))
    done
}

link_down() { ip -n "$(ns_name "$1")" link set eth0 down; }
link_up()   { ip -n "$(ns_name "$1")" link set eth0 up; }

# net_down: every process left in a namespace is one this run started
# there (nginx masters and workers, socat and its children, the broker,
# clients); TERM, then KILL, then the namespaces go
net_down() {
    local h ns pids p
    for p in "${NET_BG_PIDS[@]}"; do
        kill -TERM "$p" 2> /dev/null
    done
    for h in "${NET_HOSTS[@]}"; do
        ns=$(ns_name "$h")
        pids=$(ip netns pids "$ns" 2> /dev/null)
        # shellcheck disable=SC2086 # one pid per word
        [ -n "$pids" ] && kill -TERM $pids 2> /dev/null
    done
    for _ in $(seq 40); do
        pids=
        for h in "${NET_HOSTS[@]}"; do
            pids+=$(ip netns pids "$(ns_name "$h")" 2> /dev/null)
        done
        [ -z "$pids" ] && break
        sleep 0.05
    done
    for h in "${NET_HOSTS[@]}"; do
        ns=$(ns_name "$h")
        pids=$(ip netns pids "$ns" 2> /dev/null)
        # shellcheck disable=SC2086
        [ -n "$pids" ] && kill -KILL $pids 2> /dev/null
    done
    for p in "${NET_BG_PIDS[@]}"; do
        wait "$p" 2> /dev/null
    done
    for h in "${NET_HOSTS[@]}"; do
        ip netns del "$(ns_name "$h")" 2> /dev/null
    done
    NET_HOSTS=()
    NET_BG_PIDS=()
}

# forward HOST LISTEN_ADDR PORT TO_ADDR: a TCP forwarder on HOST
forward() {
    on_bg "$1" socat "TCP-LISTEN:$3,bind=$2,fork,reuseaddr" \
        "TCP:$4:$3" 2>> "$RUN/socat.log"
}

# wait_port HOST ADDR PORT [SECONDS]: until something listens there
wait_port() {
    local i
    for ((i = 0; i < ${4:-10} * 20; i++)); do
        on "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2> /dev/null && return 0
        sleep 0.05
    done
    return 1
}
