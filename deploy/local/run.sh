#!/usr/bin/env bash
# `make run`: a whole local dns-sync on one machine — database, migrations, Cloudflare emulator, api, worker.
# Ctrl-C stops everything this script started. State (database, secrets) lives in .local/ and survives restarts.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
STATE=$ROOT/.local
CONFIGURATION=${CONFIGURATION:-Release}
API_PORT=${API_PORT:-8080}
EMULATOR_PORT=${EMULATOR_PORT:-8787}
METRICS_PORT=${METRICS_PORT:-9464}
DB_PORT=${LOCAL_DB_PORT:-3307}
DEMO_ZONE=${DEMO_ZONE:-example.com}
mkdir -p "$STATE/logs"

pids=()
say() { printf '\033[1;34m[run]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[run] %s\033[0m\n' "$*" >&2; exit 1; }

stop_all() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    say "stopping ${#pids[@]} process(es)…"
    # Newest first: worker and api before the emulator and the database.
    for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
    for ((i=${#pids[@]}-1; i>=0; i--)); do wait "${pids[i]}" 2>/dev/null || true; done
  fi
  say "stopped."
}
trap stop_all EXIT
trap 'exit 130' INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
require_free_port() {
  if port_busy "$1"; then
    die "port $1 ($2) is already in use. Stop whatever listens there (ss -ltnp 'sport = :$1'), or choose another: $3=<port> make run"
  fi
}

wait_http() { # url, what, pid
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || die "$2 exited during start-up; see $STATE/logs/"
    sleep 0.2
  done
  die "$2 did not answer at $1 within 60 s; see $STATE/logs/"
}

json_field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n1; }

command -v curl >/dev/null || die "curl is required (apt-get install -y curl)."

# Fail fast on busy ports, before anything starts.
use_emulator=true
[ -n "${CLOUDFLARE_API_TOKEN:-}" ] && [ -n "${CLOUDFLARE_ZONE_ID:-}" ] && use_emulator=false
require_free_port "$API_PORT" "api" API_PORT
[ "${DnsWorker__MetricsPort:-$METRICS_PORT}" = 0 ] || require_free_port "${DnsWorker__MetricsPort:-$METRICS_PORT}" "worker metrics" METRICS_PORT
$use_emulator && require_free_port "$EMULATOR_PORT" "Cloudflare emulator" EMULATOR_PORT

# --- database -------------------------------------------------------------------------------
if [ -n "${ConnectionStrings__Default:-}" ]; then
  say "using ConnectionStrings__Default from the environment"
else
  server_bin=$(command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -n1 || true)
  if [ -z "$server_bin" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
      say "installing mariadb-server (no MariaDB/MySQL server binary found)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
      server_bin=$(command -v mariadbd || echo /usr/sbin/mariadbd)
    else
      die "no MariaDB/MySQL server found. Install one (Debian/Ubuntu: sudo apt-get install -y mariadb-server), or set ConnectionStrings__Default to an existing server."
    fi
  fi
  datadir=$STATE/mysql
  as_root=(); [ "$(id -u)" -eq 0 ] && as_root=(--user=root)
  if [ ! -d "$datadir/mysql" ]; then
    say "initialising a local database in .local/mysql"
    mkdir -p "$datadir"
    mariadb-install-db --no-defaults --datadir="$datadir" --auth-root-authentication-method=normal --skip-test-db "${as_root[@]}" \
      > "$STATE/logs/mysql-install.log" 2>&1 || die "mariadb-install-db failed; see .local/logs/mysql-install.log"
  fi
  if [ -f "$STATE/mysql.pid" ] && kill -0 "$(cat "$STATE/mysql.pid")" 2>/dev/null; then
    die "the local database in .local/mysql is already running (pid $(cat "$STATE/mysql.pid")): is another 'make run' still up? Stop it with Ctrl-C first."
  fi
  require_free_port "$DB_PORT" "local database" LOCAL_DB_PORT
  "$server_bin" --no-defaults --datadir="$datadir" --port="$DB_PORT" --bind-address=127.0.0.1 \
    --socket="$STATE/mysql.sock" --pid-file="$STATE/mysql.pid" --skip-name-resolve --skip-log-bin \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci "${as_root[@]}" \
    > "$STATE/logs/mysql.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    mariadb --protocol=TCP -h127.0.0.1 -P"$DB_PORT" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    kill -0 "${pids[-1]}" 2>/dev/null || die "the database exited during start-up; see .local/logs/mysql.log"
    sleep 0.2
  done
  mariadb --protocol=TCP -h127.0.0.1 -P"$DB_PORT" -uroot -e 'CREATE DATABASE IF NOT EXISTS dns_sync CHARACTER SET utf8mb4'
  export ConnectionStrings__Default="Server=127.0.0.1;Port=$DB_PORT;Database=dns_sync;User ID=root;Password="
  say "database: MariaDB on 127.0.0.1:$DB_PORT (data kept in .local/mysql)"
fi

# --- secrets (kept so encrypted tokens stay readable across runs) ----------------------------
if [ ! -f "$STATE/secrets.env" ]; then
  umask 077
  { echo "Secrets__Key=$(head -c 32 /dev/urandom | base64)"; echo "Auth__JwtSecret=$(head -c 48 /dev/urandom | base64)"; } > "$STATE/secrets.env"
fi
set -a; . "$STATE/secrets.env"; set +a

# --- build and migrate -----------------------------------------------------------------------
say "building ($CONFIGURATION)…"
dotnet build DnsSync.slnx -c "$CONFIGURATION" -v quiet -nologo > "$STATE/logs/build.log" 2>&1 || { tail -30 "$STATE/logs/build.log"; die "build failed"; }
bin() { echo "$ROOT/$1/bin/$CONFIGURATION/net10.0/$2"; }
dotnet "$(bin migrations dns-sync-migrations.dll)" up


# --- Cloudflare: the emulator unless a real one is configured ---------------------------------
if ! $use_emulator; then
  export Cloudflare__BaseUrl=${Cloudflare__BaseUrl:-https://api.cloudflare.com/client/v4}
  zone_id=$CLOUDFLARE_ZONE_ID; cf_token=$CLOUDFLARE_API_TOKEN
  say "using the real Cloudflare at $Cloudflare__BaseUrl, zone $zone_id ($DEMO_ZONE)"
else
  dotnet "$(bin tests/CloudflareEmulator DnsSync.CloudflareEmulator.dll)" --urls "http://127.0.0.1:$EMULATOR_PORT" \
    > "$STATE/logs/emulator.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$EMULATOR_PORT/__emulator/requests" "the Cloudflare emulator" "${pids[-1]}"
  cf_token=demo-cloudflare-token
  zone_id=$(curl -fsS -X POST "http://127.0.0.1:$EMULATOR_PORT/__emulator/zones" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$DEMO_ZONE\",\"token\":\"$cf_token\"}" | json_field id)
  export Cloudflare__BaseUrl=http://127.0.0.1:$EMULATOR_PORT/client/v4
  say "Cloudflare emulator on 127.0.0.1:$EMULATOR_PORT, zone $DEMO_ZONE = $zone_id"
fi

# --- api -------------------------------------------------------------------------------------
ASPNETCORE_URLS=http://127.0.0.1:$API_PORT dotnet "$(bin api dns-sync-api.dll)" > "$STATE/logs/api.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$API_PORT/health/ready" "the api" "${pids[-1]}"
TOKEN=$(dotnet "$(bin api dns-sync-api.dll)" token --sub make-run --scope dns:admin --ttl 24h)
API=http://127.0.0.1:$API_PORT/api/v1
auth=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')

# Demo domain, API key and binding — found again on a second run instead of duplicated.
domain_id=$(curl -fsS "${auth[@]}" "$API/domains?pageSize=100" | tr '{' '\n' | grep "\"domain\":\"$DEMO_ZONE\"" | json_field id || true)
if [ -z "$domain_id" ]; then
  domain_id=$(curl -fsS "${auth[@]}" -X POST "$API/domains/create" -d "{\"domain\":\"$DEMO_ZONE\"}" | json_field id)
fi
key_name="make-run $(printf %s "$cf_token" | sha256sum | head -c 8)"
key_id=$(curl -fsS "${auth[@]}" "$API/api-keys?pageSize=100" | tr '{' '\n' | grep "\"name\":\"$key_name\"" | json_field id || true)
if [ -z "$key_id" ]; then
  key_id=$(curl -fsS "${auth[@]}" -X POST "$API/api-keys/create" \
    -d "{\"name\":\"$key_name\",\"provider\":\"cloudflare\",\"apiToken\":\"$cf_token\"}" | json_field id)
fi
curl -fsS "${auth[@]}" -X POST "$API/dns/providers/bind" \
  -d "{\"domainId\":$domain_id,\"provider\":\"cloudflare\",\"providerZoneId\":\"$zone_id\",\"apiKeyId\":$key_id}" >/dev/null
say "api on 127.0.0.1:$API_PORT; domain $DEMO_ZONE is id $domain_id, bound to zone $zone_id"

# --- worker ----------------------------------------------------------------------------------
DnsWorker__MetricsPort=${DnsWorker__MetricsPort:-$METRICS_PORT} dotnet "$(bin worker dns-sync-worker.dll)" > "$STATE/logs/worker.log" 2>&1 &
pids+=($!)

# A one-time link into the status page: it carries a single-use code (15 minutes), never a token.
SIGNIN_LINK=$(dotnet "$(bin api dns-sync-api.dll)" signin-link --sub make-run --scope dns:admin --url "http://127.0.0.1:$API_PORT")

cat <<MSG

  dns-sync is running. Logs: .local/logs/   API reference: http://127.0.0.1:$API_PORT/scalar/v1
  Status page: $SIGNIN_LINK
               (signs one browser in once; later, open http://127.0.0.1:$API_PORT/ui and paste the token below)
  Metrics: http://127.0.0.1:${DnsWorker__MetricsPort:-$METRICS_PORT}/metrics   Emulator state: http://127.0.0.1:$EMULATOR_PORT/__emulator/zones/$zone_id/records

  export TOKEN=$TOKEN

  # create
  curl -s -X POST $API/dns/records/create -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -d '{"domainId":$domain_id,"type":"A","name":"www","value":"192.0.2.10","ttl":300,"ownerType":"external","ownerId":1}'
  # list, get
  curl -s "$API/dns/records?domainId=$domain_id" -H "Authorization: Bearer \$TOKEN"
  curl -s $API/dns/records/1 -H "Authorization: Bearer \$TOKEN"
  # update
  curl -s -X POST $API/dns/records/update -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"id":1,"value":"192.0.2.20"}'
  # delete
  curl -s -X POST $API/dns/records/delete -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"ids":[1]}'
  # retry (a record in error)
  curl -s -X POST $API/dns/records/retry -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"id":1}'

  Press Ctrl-C to stop everything.
MSG

# Stay up until Ctrl-C, or until one of our processes dies.
while true; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || die "a process (pid $pid) exited; see .local/logs/"
  done
  sleep 1
done
