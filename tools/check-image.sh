#!/usr/bin/env bash
# Checks the production image as far as it can be without a Docker engine:
#  1. the Dockerfile has the shape we ship (Node 24 LTS slim, multi-stage, production
#     dependencies only, non-root user, `node dist/main.js`);
#  2. the service stage's filesystem is assembled here from the same COPY/RUN steps, and the
#     service is started from it on Node 24 as an unprivileged user: discovery, readiness and an
#     order-sign answer must work with no dev dependency present.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "check-image: $*" >&2; [ -f "${stage:-}/service.log" ] && cat "$stage/service.log" >&2; exit 1; }

df=Dockerfile
grep -q '^FROM node:24-bookworm-slim AS build$' $df || fail "build stage must be FROM node:24-bookworm-slim"
[ "$(grep -c '^FROM ' $df)" -eq "$(grep -c '^FROM node:24-bookworm-slim AS ' $df)" ] || fail "every stage must be on node:24-bookworm-slim"
service=$(awk '/^FROM .* AS service$/{on=1} on' $df)
[ -n "$service" ] || fail "no service stage"
[ "$(grep '^FROM ' $df | tail -1)" = "FROM node:24-bookworm-slim AS service" ] || fail "the service stage must be the last (default) target"
for line in 'RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force' 'COPY --from=build /app/dist ./dist' \
  'COPY cards ./cards' 'COPY cql/elm ./cql/elm' 'COPY cql/valuesets ./cql/valuesets' 'COPY cql/*.cql ./cql/' 'USER node' 'CMD ["node", "dist/main.js"]'; do
  grep -qxF "$line" <<<"$service" || fail "service stage lacks: $line"
done
grep -q '^dist$' .dockerignore || fail ".dockerignore must leave out dist (the image builds it)"

node24=$(bash tools/node24.sh)
stage=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$stage"' EXIT
pid=
npm run -s build
cp package.json package-lock.json "$stage/"
(cd "$stage" && PATH="$node24:$PATH" npm ci --omit=dev --no-audit --no-fund >/dev/null)
cp -r dist "$stage/dist"; cp -r cards "$stage/cards"; mkdir -p "$stage/cql"; cp -r cql/elm cql/valuesets cql/*.cql "$stage/cql/"
mkdir -p "$stage/data"
for dev in tsx jest typescript @medplum/core @cqframework/cql; do
  [ ! -e "$stage/node_modules/$dev" ] || fail "dev dependency $dev is in the production node_modules"
done
runas=()
if [ "$(id -u)" -eq 0 ]; then chown -R nobody "$stage/data"; chmod -R a+rX "$stage" "$(dirname "$node24")"; runas=(runuser -u nobody --); fi
port=$((20000 + RANDOM % 20000))
(cd "$stage" && exec "${runas[@]}" env NODE_ENV=production AUTH=off PORT=$port HOST=127.0.0.1 LOG_LEVEL=warn "$node24/node" dist/main.js) >"$stage/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.1; done
# No pipe into an early-exiting reader (grep -q, head): under pipefail the writer's SIGPIPE fails the script.
discovery=$(curl -fs "http://127.0.0.1:$port/cds-services") || fail "discovery did not answer"
grep -q '"hook":"order-sign"' <<<"$discovery" || fail "discovery lists no order-sign service"
forms=$(curl -fs "http://127.0.0.1:$port/fhir/Questionnaire") || fail "the DTR forms did not answer"
grep -q '"resourceType":"Questionnaire"' <<<"$forms" || fail "no DTR Questionnaire is served"
scenarios=(test/patients/*/*.json)
scenario=${scenarios[0]}
body=$(npx tsx tools/request.ts "$scenario")
answer=$(curl -fs -X POST -H 'content-type: application/json' --data "$body" "http://127.0.0.1:$port/cds-services/prior-auth-criteria")
grep -q '"prior-auth-criteria"' <<<"$answer" || fail "order-sign gave no card: $answer"
echo "check-image: Dockerfile shape ok; the service stage runs on $("$node24/node" --version) as an unprivileged user with production dependencies only"
