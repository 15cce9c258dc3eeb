#!/usr/bin/env bash
# prometheus.sh: run Prometheus in the foreground on 127.0.0.1:9090, with the
# configuration in deploy/prometheus.yml (it scrapes the service's /metrics)
# and its data in .run/prometheus (git-ignored). Ctrl-C or SIGTERM stops it.
#
# PROMETHEUS_ADDR changes the listen address (default 127.0.0.1:9090).
# "prometheus.sh install" only makes sure that prometheus is there (make prep).
# Where prometheus is missing, Debian and Ubuntu get the "prometheus" package;
# elsewhere this says how to get it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ADDR=${PROMETHEUS_ADDR:-127.0.0.1:9090}

# install_debian installs the Debian package, then stops and disables the
# service the package sets up, which would listen on all interfaces.
install_debian() {
	local sudo=
	if [[ $(id -u) != 0 ]]; then sudo=sudo; fi
	echo "prometheus: installing the Debian package prometheus" >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# Without recommends: they add prometheus-node-exporter, another service.
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends prometheus
	if [[ -d /run/systemd/system ]]; then
		$sudo systemctl disable --now prometheus.service || true
	elif [[ -x /etc/init.d/prometheus ]]; then
		$sudo /etc/init.d/prometheus stop || true
		$sudo update-rc.d prometheus disable || true
	fi
}

if ! command -v prometheus >/dev/null; then
	if [[ -f /etc/debian_version ]]; then
		install_debian
	else
		cat >&2 <<-'MSG'
		prometheus: prometheus is not on PATH. Get it with
		  brew install prometheus          (macOS, Homebrew)
		or a release from https://prometheus.io/download/, or run
		  docker compose up                (compose.yaml: Prometheus and Jaeger)
		MSG
		exit 1
	fi
fi

if [[ ${1:-} == install ]]; then
	echo "prometheus: $(command -v prometheus) is there" >&2
	exit 0
fi

mkdir -p "$ROOT/.run/prometheus"
echo "prometheus: http://$ADDR, scraping what deploy/prometheus.yml lists" >&2
exec prometheus \
	--config.file="$ROOT/deploy/prometheus.yml" \
	--storage.tsdb.path="$ROOT/.run/prometheus" \
	--storage.tsdb.retention.time=1d \
	--web.listen-address="$ADDR"
