# shellcheck shell=bash
# Shared helpers for the VM test scripts (sourced, not run).

vm_log()
{
	printf '[%s] %s\n' "${VM_LOG_NAME:-vm}" "$*" >&2
}

vm_die()
{
	printf '[%s] ERROR: %s\n' "${VM_LOG_NAME:-vm}" "$*" >&2
	exit 1
}

# Quotes one word for a POSIX shell (the VM's busybox sh and the host's dash
# read what we write; bash's printf %q output is not POSIX).
vm_shell_quote()
{
	local quoted=${1//\'/\'\\\'\'}
	printf "'%s'" "$quoted"
}

vm_package_installed()
{
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Installs the Debian packages that are missing (CI starts from a fresh bookworm
# machine); does nothing when all are there.
vm_ensure_packages()
{
	local missing=() pkg
	for pkg in "$@"; do
		vm_package_installed "$pkg" || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || vm_die "missing packages: ${missing[*]}; install them (as root: apt-get install ${missing[*]})"
	vm_log "installing missing packages: ${missing[*]}"
	apt-get update -qq || vm_die "apt-get update failed; check network access to Debian's archive"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		vm_die "apt-get install ${missing[*]} failed"
}

# The current Debian kernel ABI (e.g. 6.1.0-56-amd64), from the metapackage's
# dependency; never hard-coded because security updates replace it.
vm_resolve_abi()
{
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][0-9.]*-[0-9]*-amd64\)$/\1/p' | head -n 1
}

vm_now()
{
	date +%s.%N
}

vm_elapsed()
{
	awk -v start="$1" -v end="$(vm_now)" 'BEGIN { printf "%.1f", end - start }'
}
