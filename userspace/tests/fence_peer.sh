#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side test of ocf/harepl-fence-peer with stand-ins for Pacemaker's
# cibadmin and crm_node and for hareplctl: the arguments it passes, the
# constraint it writes, its exit codes. KTAP output.
#
# usage: tests/fence_peer.sh path/to/harepl-fence-peer

set -u
SCRIPT=$(realpath "${1:-ocf/harepl-fence-peer}")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
failed=0

ok() { # ok CONDITION-EXIT-CODE NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
		sed 's/^/# /' "$T/log" "$T/err" 2>/dev/null
	fi
}

mkdir "$T/bin"
# cibadmin: logs its arguments; --query answers with $CIB_QUERY; exits $CIB_RC
cat >"$T/bin/cibadmin" <<'SH'
#!/bin/sh
printf '%s\n' "cibadmin $*" >>"$STUB_LOG"
case "$*" in *--query*) printf '%s\n' "$CIB_QUERY" ;; esac
[ -n "${CIB_ERR:-}" ] && echo "$CIB_ERR" >&2
exit "${CIB_RC:-0}"
SH
cat >"$T/bin/crm_node" <<'SH'
#!/bin/sh
[ "$1" = -n ] && echo node1
SH
cat >"$T/bin/hareplctl" <<'SH'
#!/bin/sh
printf '%s\n' "$HCTL_STATUS"
SH
printf '#!/bin/sh\n' >"$T/bin/logger"
chmod 755 "$T/bin/"*

# run ENV... -- ARGS...: the script with the stubs; exit code in $rc
run() {
	: >"$T/log"
	env -i PATH="$T/bin:/usr/bin:/bin" STUB_LOG="$T/log" HAREPL_FENCE_TIMEOUT=1 \
		CIB_QUERY='<clone id="r0-clone">' "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

echo "TAP version 13"
echo "1..8"

run HAREPL_RESOURCE=r0 HAREPL_PEER_ADDRESS=192.0.2.2:7789 HAREPL_PEER_NODE_ID=1 \
	HAREPL_FENCING=resource-and-stonith "$SCRIPT" fence-peer
[ $rc -eq 0 ] &&
	grep -q "^cibadmin --query --xpath //primitive\[@type='harepl'\]\[instance_attributes/nvpair\[@name='resource' and @value='r0'\]\]/\.\.$" "$T/log" &&
	grep -qF 'cibadmin --modify --allow-create --scope constraints --xml-text <rsc_location rsc="r0-clone" id="harepl-fence-r0"><rule role="Promoted" score="-INFINITY" id="harepl-fence-r0-rule"><expression attribute="#uname" operation="ne" value="node1" id="harepl-fence-r0-expr"/></rule></rsc_location>' "$T/log" &&
	grep -q "peer 1 (192.0.2.2:7789) lost, fencing resource-and-stonith" "$T/err"
ok $? "fence-peer places the constraint on the clone found in the CIB, exit 0"

run HAREPL_RESOURCE=r0 HAREPL_FENCE_CLONE=ms_harepl_r0 HAREPL_FENCE_ROLE=Master "$SCRIPT" fence-peer
[ $rc -eq 0 ] && ! grep -q -- --query "$T/log" &&
	grep -qF '<rsc_location rsc="ms_harepl_r0" id="harepl-fence-r0"><rule role="Master"' "$T/log"
ok $? "fence-peer with HAREPL_FENCE_CLONE and HAREPL_FENCE_ROLE"

run HAREPL_RESOURCE=r0 CIB_RC=1 CIB_ERR="Call cib_modify failed (-107): Transport endpoint is not connected" \
	HAREPL_FENCE_CLONE=r0-clone "$SCRIPT"
[ $rc -eq 1 ] && grep -q "cannot place constraint harepl-fence-r0: Call cib_modify failed" "$T/err"
ok $? "fence-peer (the default command) fails with exit 1 when the CIB refuses"

run HAREPL_RESOURCE=r0 CIB_QUERY= "$SCRIPT" fence-peer
[ $rc -eq 1 ] && grep -q "no promotable clone" "$T/err" && ! grep -q -- --modify "$T/log"
ok $? "fence-peer fails when no clone holds the resource"

run HAREPL_RESOURCE='../x' "$SCRIPT" fence-peer
[ $rc -eq 2 ] && grep -q "is not a resource name" "$T/err" && [ ! -s "$T/log" ]
ok $? "a bad HAREPL_RESOURCE is a usage error"

run HAREPL_RESOURCE=r0 "$SCRIPT" frobnicate
[ $rc -eq 2 ] && grep -q "^Usage: harepl-fence-peer" "$T/err"
ok $? "an unknown command is a usage error"

run HAREPL_RESOURCE=r0 HCTL_STATUS='{"name":"r0","peers":[{"node_id":1,"address":"192.0.2.2:7789","mode":"sync","connection":"Connected","role":"Secondary","disk":"UpToDate","inflight":0,"bytes_sent":1,"bytes_received":1,"oos_bytes":4096,"timeout_ms":5000}]}' \
	"$SCRIPT" unfence-peer
r1=$rc
grep -q -- --delete "$T/log"
d1=$?
run HAREPL_RESOURCE=r0 HCTL_STATUS='{"name":"r0","peers":[{"node_id":1,"address":"192.0.2.2:7789","mode":"sync","connection":"Connected","role":"Secondary","disk":"UpToDate","inflight":0,"bytes_sent":1,"bytes_received":1,"oos_bytes":0,"timeout_ms":5000}]}' \
	"$SCRIPT" unfence-peer
[ $r1 -eq 1 ] && [ $d1 -ne 0 ] && [ $rc -eq 0 ] &&
	grep -qF 'cibadmin --delete --scope constraints --xml-text <rsc_location id="harepl-fence-r0"/>' "$T/log"
ok $? "unfence-peer removes the constraint only once the peer is in sync"

run HAREPL_RESOURCE=r0 HCTL_STATUS='{"name":"r0","peers":[]}' "$SCRIPT" unfence-peer --force
[ $rc -eq 0 ] && grep -q -- --delete "$T/log"
ok $? "unfence-peer --force removes it anyway"

echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
